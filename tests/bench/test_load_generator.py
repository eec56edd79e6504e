"""The raw-socket load generator (bench/_load.py) reads HTTP/1.1 responses right, and the
gapless check of bench/http_stack refuses what is not gapless.

A stdlib server on loopback answers with bodies sent in pieces (head and body in separate
writes, the body split too), so a response that arrives over several reads is the case
under test, not an accident.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from bench._load import INDEX, Client, drive
from bench.http_stack import BATCH, _check_gapless


class _Handler(socketserver.StreamRequestHandler):
    """Keep-alive HTTP/1.1: echoes the path and body as JSON; /missing is a 404."""

    def handle(self) -> None:
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, path, _ = line.decode().split(" ", 2)
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = self.rfile.read(length).decode()
            status = b"404 Not Found" if path == "/missing" else b"200 OK"
            payload = json.dumps({"method": method, "path": path, "body": body}).encode()
            self.wfile.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n" % (status, len(payload)))
            self.wfile.flush()
            half = len(payload) // 2
            for part in (payload[:half], payload[half:]):
                time.sleep(0.001)
                self.wfile.write(part)
                self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def port() -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_every_request_is_answered_in_order_on_its_own_connection(port: int) -> None:
    clients = [
        Client(method="POST", path=f"/c{k}/{INDEX}", body=f'{{"n": {INDEX}}}', requests=5,
               warmup=2)
        for k in range(3)
    ]  # fmt: skip
    result = drive(port, clients, keep_bodies=True)
    assert result.statuses == {200: 21}
    assert len(result.latencies_ms) == 15  # warm-up is not timed
    assert result.seconds > 0 and result.rate > 0 and result.cpu_seconds >= 0
    for k, bodies in enumerate(result.bodies):
        echoed = [json.loads(b) for b in bodies]
        assert [e["path"] for e in echoed] == [f"/c{k}/{i}" for i in range(7)]
        assert [json.loads(e["body"])["n"] for e in echoed] == list(range(7))
        assert {e["method"] for e in echoed} == {"POST"}


def test_a_get_sends_no_body(port: int) -> None:
    result = drive(port, [Client(method="GET", path="/x", requests=2)], keep_bodies=True)
    assert [json.loads(b)["body"] for b in result.bodies[0]] == ["", ""]


def test_an_answer_that_is_not_2xx_fails_the_run(port: int) -> None:
    with pytest.raises(RuntimeError, match=r"non-2xx answers \{404: 1\}"):
        drive(port, [Client(method="GET", path="/missing", requests=1)])


def _batches(*firsts: int) -> list[dict[str, int]]:
    return [{"first_version": f, "last_version": f + BATCH - 1} for f in firsts]


def test_gapless_batches_in_any_order_pass() -> None:
    _check_gapless("svc", _batches(21, 1, 11))


@pytest.mark.parametrize(
    "appended",
    [
        _batches(1, 21),  # a gap
        _batches(1, 6),  # an overlap
        _batches(11),  # not from 1
        [{"first_version": 1, "last_version": 5}],  # a short batch
    ],
)
def test_what_is_not_gapless_is_refused(appended: list[dict[str, int]]) -> None:
    with pytest.raises(AssertionError, match="not gapless"):
        _check_gapless("svc", appended)
