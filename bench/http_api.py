"""HTTP append and window throughput over loopback against `kata-context serve`.

For each store (memory, and PostgreSQL in a fresh database on the embedded server) the
bench starts `kata-context serve` as a subprocess (one uvicorn worker, no access log) and
drives it from one httpx client with keep-alive, REQUESTS requests per scenario:
- append: batches of 10 user messages of 50 tokens (client counts) into one context;
- window: budget 8000 over a context of 1,000 such messages (160 entries come back);
- append_8_clients: 8 threads, each with its own client and context, REQUESTS in all.
PostgreSQL runs twice: without prepared statements (the default for a database URL) and
with them (what `serve` does over its embedded server; KATA_PREPARED_STATEMENTS=1).
The baseline, measured in the same run, is the in-process Engine over the same kind of
store doing the same calls, so the ratio is the share of engine speed left over HTTP
(auth lookup, JSON parsing and validation, serialization, uvicorn, loopback, the client).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from adapters.memory.store import MemoryStore
from bench._common import emit, log, sized
from domain.model import Message, Role
from entrypoints.compose import build_engine
from entrypoints.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = sized(2000, 16)
BATCH = 10
TOKENS = 50
WINDOW_HISTORY = sized(1000, 50)
BUDGET = 8000
TENANT = "bench"
TEXT = " ".join(["word"] * TOKENS)


def _batch(i: int) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"{TEXT} {i}.{j}", "token_count": TOKENS} for j in range(BATCH)
    ]


def _messages(i: int) -> list[Message]:
    return [Message(role=Role.USER, content=m["content"], token_count=TOKENS) for m in _batch(i)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(
    store: str, database_url: str | None, *, prepared: bool = False
) -> Iterator[tuple[str, str]]:
    """`kata-context serve` on a free loopback port; yields its base URL and key."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="kata-http-bench-") as folder:
        args = [sys.executable, "-m", "entrypoints.cli", "--data-dir", folder]
        if database_url:
            args += ["--database-url", database_url]
        args += ["serve", "--store", store, "--port", str(port), "--no-access-log"]
        logfile = Path(folder) / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
        env["KATA_PREPARED_STATEMENTS"] = "1" if prepared else "0"
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=logfile.open("w"), stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base, proc, logfile)
            key = re.search(r"API key: (\S+)", logfile.read_text())
            assert key, logfile.read_text()
            yield base, key.group(1)
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server as Ctrl-C would, killing it after 30 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait(base: str, proc: subprocess.Popen[bytes], logfile: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited:\n{logfile.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"serve did not start:\n{logfile.read_text()}")


def _timed(n: int, call: Callable[[int], object]) -> tuple[float, float]:
    """(calls per second, p50 ms) of n calls, after a short warm-up."""
    for i in range(min(50, n)):
        call(-1 - i)
    times = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - s)
    return n / (time.perf_counter() - t0), statistics.median(times) * 1000


def _http(base: str, key: str) -> tuple[Callable[[int], object], Callable[[int], object]]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})

    def new_context() -> str:
        r = client.post("/api/v1/contexts", json={"name": "bench"})
        r.raise_for_status()
        return str(r.json()["id"])

    target = new_context()
    windowed = new_context()
    for i in range(WINDOW_HISTORY // BATCH):
        client.post(f"/api/v1/contexts/{windowed}/messages", json={"messages": _batch(i)})

    def append(i: int) -> object:
        r = client.post(f"/api/v1/contexts/{target}/messages", json={"messages": _batch(i)})
        assert r.status_code == 201, r.text
        return r

    def window(_i: int) -> object:
        r = client.get(f"/api/v1/contexts/{windowed}/window", params={"budget": BUDGET})
        assert r.status_code == 200, r.text
        return r

    return append, window


def _in_process(engine: Engine) -> tuple[Callable[[int], object], Callable[[int], object]]:
    target = engine.create_context(TENANT, name="bench").id
    windowed = engine.create_context(TENANT, name="bench").id
    for i in range(WINDOW_HISTORY // BATCH):
        engine.append(TENANT, windowed, _messages(i))

    def append(i: int) -> object:
        return engine.append(TENANT, target, _messages(i))

    def window(_i: int) -> object:
        return engine.window(TENANT, windowed, budget=BUDGET)

    return append, window


def _parallel(make: Callable[[], Callable[[int], object]], clients: int = 8) -> float:
    """Calls per second of `clients` threads sharing REQUESTS calls, each on its own target."""
    calls = [make() for _ in range(clients)]
    share = REQUESTS // clients

    def run(call: Callable[[int], object]) -> None:
        for i in range(share):
            call(i)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda c: [c(-1 - i) for i in range(10)], calls))
        t0 = time.perf_counter()
        list(pool.map(run, calls))
    return share * clients / (time.perf_counter() - t0)


def _http_appender(base: str, key: str) -> Callable[[int], object]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})
    cid = client.post("/api/v1/contexts", json={"name": "bench"}).json()["id"]

    def append(i: int) -> object:
        r = client.post(f"/api/v1/contexts/{cid}/messages", json={"messages": _batch(i)})
        assert r.status_code == 201, r.text
        return r

    return append


def _engine_appender(engine: Engine) -> Callable[[int], object]:
    cid = engine.create_context(TENANT, name="bench").id
    return lambda i: engine.append(TENANT, cid, _messages(i))


def _compare_parallel(store: str, base: str, key: str, engine: Engine) -> None:
    base_rate = _parallel(lambda: _engine_appender(engine))
    rate = _parallel(lambda: _http_appender(base, key))
    emit(
        f"http_append_8_clients_{store}",
        REQUESTS,
        rate * BATCH,
        "msg/s",
        baseline=f"engine_append_8_threads_{store}",
        baseline_value=base_rate * BATCH,
    )
    log(f"{store} append, 8 clients: HTTP {rate:.0f} req/s; engine {base_rate:.0f} calls/s")


def _floor(base: str, key: str) -> None:
    """The same client against /api/health: what uvicorn, Litestar and httpx cost alone."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})
    rate, p50 = _timed(REQUESTS, lambda _i: client.get("/api/health"))
    log(f"floor: GET /api/health {rate:.0f} req/s p50 {p50:.2f} ms")


def _compare(store: str, http: tuple[Any, Any], local: tuple[Any, Any]) -> None:
    for name, http_call, local_call, per in (
        ("append", http[0], local[0], BATCH),
        ("window", http[1], local[1], 1),
    ):
        base_rate, base_p50 = _timed(REQUESTS, local_call)
        rate, p50 = _timed(REQUESTS, http_call)
        unit = "msg/s" if per > 1 else "req/s"
        emit(
            f"http_{name}_{store}",
            REQUESTS,
            rate * per,
            unit,
            baseline=f"engine_{name}_{store}",
            baseline_value=base_rate * per,
        )
        log(
            f"{store} {name}: HTTP {rate:.0f} req/s p50 {p50:.2f} ms; "
            f"engine {base_rate:.0f} calls/s p50 {base_p50:.3f} ms"
        )


def main() -> None:
    """Print HTTP append and window rates per store, the in-process engine as baseline."""
    with _served("memory", None) as (base, key):
        engine = build_engine(MemoryStore())
        _floor(base, key)
        _compare("memory", _http(base, key), _in_process(engine))
        _compare_parallel("memory", base, key, engine)

    from adapters.postgres.pool import build_pool
    from adapters.postgres.store import PostgresStore
    from bench._postgres import fresh_database

    # A URL's default (no prepared statements: a pooler may stand in front), then what
    # `serve` does over its embedded server (prepared after 5 runs), on both sides.
    for label, prepared in (("postgres", False), ("postgres_prepared", True)):
        with (
            fresh_database() as url,
            _served("postgres", url, prepared=prepared) as (base, key),
            build_pool(url, min_size=2, max_size=8, prepare=prepared) as pool,
        ):
            engine = build_engine(PostgresStore(pool))
            _compare(label, _http(base, key), _in_process(engine))
            _compare_parallel(label, base, key, engine)


if __name__ == "__main__":
    main()
