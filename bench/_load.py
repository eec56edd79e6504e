"""A closed-loop HTTP/1.1 load generator on raw keep-alive sockets, in a process of its own.

httpx tops out near 6,700 requests per second on this kind of machine, below what the
services under test answer, so the client would be what is measured. Here each client is
one keep-alive socket that sends a prebuilt request, reads the response (the head up to a
blank line, then Content-Length bytes: the services under test never chunk), and sends the
next; all the clients are driven by one `selectors` loop. `drive()` runs that loop in a
fresh interpreter (`python -m bench._load`, the plan as JSON on stdin, the result as JSON
on stdout), so it shares a GIL with nothing it measures. The standard library and attrs
only: the child starts in a few tens of milliseconds.
"""

from __future__ import annotations

import json
import selectors
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[1]
# Marks where a request body or path takes the request's index (bodies differ per request).
INDEX = "{i}"


@attrs.frozen(kw_only=True)
class Client:
    """One keep-alive connection's requests: `warmup` untimed ones, then `requests` timed."""

    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = attrs.field(factory=dict)
    requests: int
    warmup: int = 0


@attrs.frozen(kw_only=True)
class Result:
    """What the clients saw, warm-up excluded from the timing (not from `bodies`)."""

    seconds: float
    cpu_seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    bodies: list[list[str]]

    @property
    def rate(self) -> float:
        """Timed responses per second, all clients together."""
        return len(self.latencies_ms) / self.seconds

    @property
    def ceiling(self) -> float:
        """Responses per second of the generator's own CPU: its rate were the server free."""
        return len(self.latencies_ms) / max(self.cpu_seconds, 1e-9)

    @property
    def p50_ms(self) -> float:
        """Median latency of a timed request."""
        return statistics.median(self.latencies_ms)


def drive(
    port: int, clients: Sequence[Client], *, keep_bodies: bool = False, timeout: float = 300
) -> Result:
    """Run `clients` against 127.0.0.1:`port` in a child interpreter; every answer a 2xx."""
    plan = {
        "port": port,
        "keep_bodies": keep_bodies,
        "clients": [attrs.asdict(c) for c in clients],
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench._load"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-4000:]}")
    out = json.loads(done.stdout)
    result = Result(
        seconds=out["seconds"],
        cpu_seconds=out["cpu_seconds"],
        latencies_ms=out["latencies_ms"],
        statuses={int(k): v for k, v in out["statuses"].items()},
        bodies=out["bodies"],
    )
    bad = {s: n for s, n in result.statuses.items() if not 200 <= s < 300}
    if bad:
        sample = next((b for bs in result.bodies for b in bs), "")
        raise RuntimeError(f"non-2xx answers {bad}: {sample[:500]}")
    return result


def _request(client: dict[str, Any], i: int) -> bytes:
    body: bytes = client["body"].replace(INDEX, str(i)).encode()
    head = [f"{client['method']} {client['path'].replace(INDEX, str(i))} HTTP/1.1",
            "Host: 127.0.0.1"]  # fmt: skip
    head += [f"{k}: {v}" for k, v in client["headers"].items()]
    if body or client["method"] != "GET":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Connection:
    """One client's socket, its queue of prebuilt requests, and the response being read."""

    def __init__(self, port: int, requests: list[bytes], keep: bool) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.requests = requests
        self.keep = keep
        self.next = 0
        self.buffer = b""
        self.sent_at = 0.0
        self.latencies: list[float] = []
        self.bodies: list[str] = []
        self.statuses: dict[int, int] = {}

    def send(self) -> bool:
        """Send the next request; False when none is left."""
        if self.next >= len(self.requests):
            return False
        self.sent_at = time.perf_counter()
        # Requests are a few kB: loopback takes them whole into its buffer.
        self.sock.setblocking(True)
        self.sock.sendall(self.requests[self.next])
        self.sock.setblocking(False)
        self.next += 1
        return True

    def receive(self) -> bool:
        """Read what arrived; True once the whole response is in."""
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed a keep-alive connection")
        self.buffer += chunk
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.buffer[:end].decode("latin-1")
        lines = head.split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return False
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        status = int(lines[0].split(" ", 2)[1])
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.keep or not 200 <= status < 300:
            self.bodies.append(body.decode())
        return True


def _phase(connections: list[_Connection], counts: list[int], timed: bool) -> None:
    """Each connection sends its next `counts[k]` requests, one at a time."""
    selector = selectors.DefaultSelector()
    left = dict(enumerate(counts))
    for k, conn in enumerate(connections):
        if left[k] > 0:
            conn.send()
            selector.register(conn.sock, selectors.EVENT_READ, k)
    while selector.get_map():
        for key, _ in selector.select():
            k = key.data
            conn = connections[k]
            if not conn.receive():
                continue
            if timed:
                conn.latencies.append((time.perf_counter() - conn.sent_at) * 1000)
            left[k] -= 1
            if left[k] == 0:
                selector.unregister(conn.sock)
            else:
                conn.send()
    selector.close()


def _run(plan: dict[str, Any]) -> dict[str, Any]:
    clients = plan["clients"]
    connections = []
    for c in clients:
        total = c["warmup"] + c["requests"]
        requests = [_request(c, i) for i in range(total)]
        connections.append(_Connection(plan["port"], requests, plan["keep_bodies"]))
    _phase(connections, [c["warmup"] for c in clients], timed=False)
    t0, cpu0 = time.perf_counter(), time.process_time()
    _phase(connections, [c["requests"] for c in clients], timed=True)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    statuses: dict[int, int] = {}
    for conn in connections:
        for s, n in conn.statuses.items():
            statuses[s] = statuses.get(s, 0) + n
        conn.sock.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "latencies_ms": [t for conn in connections for t in conn.latencies],
        "statuses": statuses,
        "bodies": [conn.bodies for conn in connections],
    }


if __name__ == "__main__":
    json.dump(_run(json.loads(sys.stdin.read())), sys.stdout)
