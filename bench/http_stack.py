"""Kata over HTTP against a floor service on the same stack, driven by raw keep-alive sockets.

Both services run at once over one fresh PostgreSQL database (Kata's migrations): Kata as
`kata-context serve` (one uvicorn worker, httptools, prepared statements, as it serves its
embedded server), the floor (bench/_floor_app.py: the same tables, one statement per
request, no auth or validation) under uvicorn with the same settings. The load generator
(bench/_load.py) runs in its own interpreter, one keep-alive socket per client, so it is
not what is measured; its own ceiling, against the floor's health route, is logged first.

Scenarios, each measured A B A B (Kata, floor, Kata, floor, ...) for ROUNDS rounds, the
median of each side reported, the floor's figure as the baseline:
- append_seq: one client appending batches of 10 messages of ~230 characters (client
  token counts) to a fresh context: msg/s, and p50 ms;
- append_8x8: 8 clients, each on its own context: msg/s;
- append_8x1: 8 clients on one context: msg/s;
- window.p50.1k / .1M: budget 8000 over a context of 1k / 1M entries (one pin, then
  50-token entries, written in SQL by bench/window_postgres.load; both services read the
  same context): p50 ms.
Every append scenario checks the versions came back gapless: per context, the batches'
ranges tile 1..head with no gap or overlap, on both services.

The ratio is emit's value / baseline: Kata / floor. For msg/s higher is better (1.0 is
the floor's speed; the design asks for 0.8 or more); for the ms lines it is a cost, lower is
better (1.25 is the same 20 % margin).

Then the server (docs: README, "Server"): Kata's production app (entrypoints.vercel) under
uvicorn (httptools, uvloop) and under granian (one worker, uvloop), alternated the same
way, uvicorn the baseline: append_seq and append_8x8 msg/s, window p50 at 1k.
Runs only against PostgreSQL: the floor has no memory mode.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs
import httpx
import psycopg

from bench import window_postgres
from bench._common import emit, log, size_label, sized
from bench._floor_app import TENANT, URL_ENV
from bench._load import INDEX, Client, Result, drive
from bench._postgres import fresh_database, open_store
from bench.http_api import _free_port, _served, _stop, _wait

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = sized(3, 2)
SEQUENTIAL = sized(1000, 8)  # appends per round, one client
PER_CLIENT = sized(200, 4)  # appends per client per round, 8 clients
WINDOWS = sized(500, 8)  # windows per round
WARMUP = sized(20, 2)  # untimed requests per client before each measurement
CLIENTS = 8
SIZES = sized((1_000, 1_000_000), (100, 2_000))
BATCH = 10
TOKENS = 50
BUDGET = 8000
# ~230 characters, the index of the request and of the message in it at the end.
TEXT = "The agent read the deployment log, found the failing health check on the second " \
    "replica, compared its configuration with the first one and proposed to roll back " \
    "the change to the pool size before the next release"  # fmt: skip
BODY = json.dumps(
    {"messages": [{"role": "user", "content": f"{TEXT} {INDEX}.{j}", "token_count": TOKENS}
                  for j in range(BATCH)]}
)  # fmt: skip

assert window_postgres.TENANT == TENANT, "both services read the contexts the bench loads"


@attrs.frozen(kw_only=True)
class Service:
    """One service under test: where it listens, what a request carries, how to get a
    fresh context to append to."""

    name: str
    port: int
    headers: dict[str, str]
    new_context: Callable[[], str]


def _appends(svc: Service, contexts: int, clients_each: int, requests: int) -> Result:
    """`clients_each` clients on each of `contexts` fresh contexts; checked gapless."""
    targets = [svc.new_context() for _ in range(contexts)]
    clients = [
        Client(method="POST", path=f"/api/v1/contexts/{cid}/messages", body=BODY,
               headers=svc.headers, requests=requests, warmup=WARMUP)
        for cid in targets for _ in range(clients_each)
    ]  # fmt: skip
    result = drive(svc.port, clients, keep_bodies=True)
    for k in range(contexts):
        bodies = result.bodies[k * clients_each : (k + 1) * clients_each]
        _check_gapless(svc.name, [json.loads(b) for bs in bodies for b in bs])
    return result


def _check_gapless(name: str, appended: list[dict[str, int]]) -> None:
    ranges = sorted((a["first_version"], a["last_version"]) for a in appended)
    expected = 1
    for first, last in ranges:
        if first != expected or last - first + 1 != BATCH:
            raise AssertionError(f"{name}: versions not gapless at {first}..{last}: {ranges}")
        expected = last + 1


def _windows(svc: Service, cid: str, requests: int) -> Result:
    client = Client(method="GET", path=f"/api/v1/contexts/{cid}/window?budget={BUDGET}",
                    headers=svc.headers, requests=requests, warmup=WARMUP)  # fmt: skip
    return drive(svc.port, [client])


def _alternate(
    a: Service, b: Service, measure: Callable[[Service], float]
) -> tuple[float, float]:
    """Medians of `measure` over ROUNDS rounds of a then b."""
    figures: dict[str, list[float]] = {a.name: [], b.name: []}
    for _ in range(ROUNDS):
        for svc in (a, b):
            figures[svc.name].append(measure(svc))
    return statistics.median(figures[a.name]), statistics.median(figures[b.name])


def _compare(
    name: str, unit: str, n: int, pair: tuple[Service, Service],
    measure: Callable[[Service], float],
) -> None:
    a, b = pair
    value, base = _alternate(a, b, measure)
    emit(name, n, value, unit, baseline=f"{name}.{b.name}", baseline_value=base)
    log(f"http_stack {name}: {a.name} {value:.2f} {unit}, {b.name} {base:.2f} {unit}")


def _scenarios(a: Service, b: Service, windowed: dict[int, str], prefix: str) -> None:
    """The append and window scenarios, `a` against baseline `b`."""
    seq: dict[str, list[Result]] = {a.name: [], b.name: []}

    def sequential(svc: Service) -> float:
        result = _appends(svc, 1, 1, SEQUENTIAL)
        seq[svc.name].append(result)
        log(f"http_stack: {svc.name} sequential append: the generator's own CPU allows "
            f"{result.ceiling * BATCH:.0f} msg/s")  # fmt: skip
        return result.rate * BATCH

    _compare(f"{prefix}.append_seq", "msg/s", SEQUENTIAL * BATCH, (a, b), sequential)
    p50 = {k: statistics.median(r.p50_ms for r in rs) for k, rs in seq.items()}
    emit(f"{prefix}.append_seq.p50", SEQUENTIAL, p50[a.name], "ms",
         baseline=f"{prefix}.append_seq.p50.{b.name}", baseline_value=p50[b.name])  # fmt: skip
    log(f"http_stack {prefix}.append_seq.p50: {a.name} {p50[a.name]:.2f} ms, "
        f"{b.name} {p50[b.name]:.2f} ms")  # fmt: skip
    _compare(f"{prefix}.append_8x8", "msg/s", CLIENTS * PER_CLIENT * BATCH, (a, b),
             lambda svc: _appends(svc, CLIENTS, 1, PER_CLIENT).rate * BATCH)  # fmt: skip
    if prefix == "http_stack":
        _compare(f"{prefix}.append_8x1", "msg/s", CLIENTS * PER_CLIENT * BATCH, (a, b),
                 lambda svc: _appends(svc, 1, CLIENTS, PER_CLIENT).rate * BATCH)  # fmt: skip
    for size, cid in windowed.items():

        def window_p50(svc: Service, cid: str = cid) -> float:
            return _windows(svc, cid, WINDOWS).p50_ms

        _compare(f"{prefix}.window.p50.{size_label(size)}", "ms", size, (a, b), window_p50)


@contextlib.contextmanager
def _serving(name: str, args: Sequence[str], env: dict[str, str]) -> Iterator[int]:
    """A server started as `args` + host and port; yields its port once health answers."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="kata-stack-bench-") as folder:
        logfile = Path(folder) / f"{name}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", *args, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=logfile.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait(f"http://127.0.0.1:{port}", proc, logfile)
            yield port
        finally:
            _stop(proc)


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    return {**env, **extra}


UVICORN = ("uvicorn", "--http", "httptools", "--loop", "uvloop", "--workers", "1",
           "--no-access-log", "--log-level", "warning", "--factory")  # fmt: skip
GRANIAN = ("granian", "--interface", "asgi", "--loop", "uvloop", "--workers", "1",
           "--http", "1", "--no-ws", "--log-level", "warning", "--factory")  # fmt: skip
KATA_APP = "entrypoints.vercel:production_app"


def _bench_key(url: str) -> str:
    """A key for TENANT, whose contexts the bench loads in SQL."""
    from adapters.system import SystemClock
    from entrypoints.compose import opened_postgres_adapters
    from entrypoints.keys import issue_key

    with opened_postgres_adapters(url) as adapters:
        _, secret = issue_key(adapters.keys, tenant_id=TENANT, label="bench", clock=SystemClock())
    return secret


def _kata(name: str, port: int, key: str) -> Service:
    headers = {"Authorization": f"Bearer {key}"}
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers)

    def new_context() -> str:
        r = client.post("/api/v1/contexts", json={"name": "bench"})
        r.raise_for_status()
        return str(r.json()["id"])

    return Service(name=name, port=port, headers=headers, new_context=new_context)


def _floor(port: int, url: str) -> Service:
    def new_context() -> str:
        cid = str(uuid.uuid4())
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO contexts (tenant_id, id, name, policy, created_at, updated_at)"
                " VALUES (%s, %s, 'floor', '{}', now(), now())",
                (TENANT, cid),
            )
        return cid

    return Service(name="floor", port=port, headers={}, new_context=new_context)


def _check_windows(kata: Service, floor: Service, windowed: dict[int, str]) -> None:
    """Both services answer each window with the same versions (a floor that read less
    would be a floor too low)."""
    for size, cid in windowed.items():
        got = {}
        for svc in (kata, floor):
            r = httpx.get(f"http://127.0.0.1:{svc.port}/api/v1/contexts/{cid}/window",
                          params={"budget": BUDGET}, headers=svc.headers)  # fmt: skip
            assert r.status_code == 200, r.text
            entries = r.json()["entries"]
            got[svc.name] = [e.get("entry", e)["version"] for e in entries]
        assert got[kata.name] == got[floor.name], (size, got)
        log(f"http_stack: window at {size} entries: {len(got[floor.name])} entries on both")


def _generator_ceiling(port: int) -> None:
    for clients in (1, CLIENTS):
        health = [Client(method="GET", path="/api/health", requests=sized(3000, 20),
                         warmup=WARMUP) for _ in range(clients)]  # fmt: skip
        result = drive(port, health)
        log(f"http_stack: load generator, {clients} client(s) on the floor's GET /api/health: "
            f"{result.rate:.0f} req/s, p50 {result.p50_ms:.3f} ms; the generator's own "
            f"CPU allows {result.ceiling:.0f} req/s "
            f"({result.cpu_seconds / result.seconds:.0%} busy)")  # fmt: skip


def main() -> None:
    """Print Kata's HTTP figures against the floor's, then granian's against uvicorn's."""
    with fresh_database() as url:
        windowed = {}
        with open_store(url) as store:
            for size in SIZES:
                windowed[size] = window_postgres.load(store, size)
        key = _bench_key(url)
        floor_env = _environ(**{URL_ENV: url})
        with (
            _served("postgres", url, prepared=True) as (base, _local),
            _serving("floor", [*UVICORN, "bench._floor_app:create_app"], floor_env) as port,
        ):
            kata = _kata("kata", int(base.rsplit(":", 1)[1]), key)
            floor = _floor(port, url)
            _generator_ceiling(port)
            _check_windows(kata, floor, windowed)
            _scenarios(kata, floor, windowed, "http_stack")

        kata_env = _environ(DATABASE_URL=url, KATA_PREPARED_STATEMENTS="1",
                            KATA_POOL_MIN="2", KATA_POOL_MAX="8")  # fmt: skip
        with (
            _serving("uvicorn", [*UVICORN, KATA_APP], kata_env) as uvicorn_port,
            _serving("granian", [*GRANIAN, KATA_APP], kata_env) as granian_port,
        ):
            granian = _kata("granian", granian_port, key)
            uvicorn = _kata("uvicorn", uvicorn_port, key)
            smallest = min(windowed)
            _scenarios(granian, uvicorn, {smallest: windowed[smallest]}, "http_server")


if __name__ == "__main__":
    main()
