"""Hostile HTTP against a real `kata-context serve` (memory store): what uvicorn parses
before the app sees a request is answered as problem+json, with limits on the head."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import ROOT, _free_port

pytestmark = pytest.mark.slow
PROBLEM = "application/problem+json"


class Server:
    """`kata-context serve --store memory` with short limits on the request head."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
        env |= {
            "KATA_MAX_HEADER_BYTES": "8192",
            "KATA_HEADER_TIMEOUT_SECONDS": "1",
            "KATA_LOG_FORMAT": "json",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "--data-dir", str(tmp / "data"), "serve",
             "--store", "memory", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"serve did not answer:\n{self.log.read_text()}")

    @property
    def key(self) -> str:
        match = re.search(r"API key: (\S+)", self.log.read_text())
        assert match
        return match.group(1)

    def raw(self, data: bytes, *, wait: float = 5.0) -> tuple[int, dict[str, str], bytes]:
        """Send raw bytes; the status, headers and body of the answer (connection closed)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=wait) as s:
            with contextlib.suppress(OSError):  # the server may close before reading all
                s.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, TimeoutError):
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        return _parse(b"".join(chunks))


def _parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1.1 "), answer[:200]
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    served = Server(tmp_path_factory.mktemp("hostile"))
    yield served
    served.proc.terminate()
    served.proc.wait(timeout=30)


MALFORMED = {
    "control character in a header": b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
    "bad chunk size": (
        b"POST /api/v1/contexts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ),
    "Content-Length with chunked": (
        b"POST /api/v1/contexts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    ),
    "URL over 64 KB": b"GET /api/health?" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "header over the limit": b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"a" * 64_000
    + b"\r\n\r\n",
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_http_is_answered_as_problem_json(server: Server, case: str) -> None:
    status, headers, body = server.raw(MALFORMED[case])
    assert status in (400, 431), (status, body)
    assert headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["type"].startswith("/api/problems/")


def test_a_head_over_the_limit_is_431_without_a_key(server: Server) -> None:
    status, headers, body = server.raw(MALFORMED["header over the limit"])
    assert (status, headers["content-type"]) == (431, PROBLEM)
    assert json.loads(body)["type"] == "/api/problems/headers-too-large"


def test_a_slow_head_is_cut_off_at_the_deadline(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        took = time.monotonic() - started
    status, headers, _ = _parse(answer)
    assert (status, headers["content-type"]) == (408, PROBLEM)
    assert 0.5 < took < 5, took


def test_a_kept_alive_connection_still_serves_requests_after_the_deadline(server: Server) -> None:
    # The deadline covers reading each head, not the connection's life.
    with httpx.Client(base_url=server.base) as client:
        assert client.get("/api/health").status_code == 200
        time.sleep(1.5)  # past the head deadline, within uvicorn's keep-alive
        assert client.get("/api/health").status_code == 200


def test_a_client_gone_mid_body_is_logged_at_info_without_a_traceback(server: Server) -> None:
    before = server.log.read_text()
    head = (
        f"POST /api/v1/contexts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    ).encode()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(head + b'{"name": "half')
            time.sleep(0.1)
    # Unauthenticated ones are answered 401 before their body is read.
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(head.replace(server.key.encode(), b"kc_nope") + b'{"na')
    time.sleep(0.5)
    assert httpx.get(server.base + "/api/health").status_code == 200
    new = server.log.read_text()[len(before) :]
    assert "Traceback" not in new and "unhandled error" not in new, new
    lines = [json.loads(line) for line in new.splitlines() if line.startswith("{")]
    gone = [line for line in lines if "client disconnected" in line["msg"]]
    assert gone and all(line["level"] == "info" for line in gone), new


def test_json_access_lines_carry_the_request_id(server: Server) -> None:
    r = httpx.get(server.base + "/api/health", headers={"X-Request-Id": "probe-42"})
    assert r.headers["x-request-id"] == "probe-42"
    time.sleep(0.2)
    lines = [json.loads(x) for x in server.log.read_text().splitlines() if x.startswith("{")]
    mine = [x for x in lines if x.get("request_id") == "probe-42"]
    assert mine and mine[-1]["route"] == "/api/health" and mine[-1]["status"] == 200
