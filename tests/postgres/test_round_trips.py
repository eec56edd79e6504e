"""Round trips to PostgreSQL per window, counted off libpq's own trace of the messages the
client sent: each Sync (the end of an extended-protocol batch, pipelined or not) and each
simple Query is one wait for the server."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from psycopg import pq
from psycopg_pool import ConnectionPool

from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from domain.model import Message, Role, ToolCall
from entrypoints.engine import Engine
from tests.conftest import FakeClock
from tests.contract.support import DIM, engine_over, vec
from tests.postgres_fixtures import StoreFactory

Counted = Callable[[Callable[[], object]], int]


@pytest.fixture
def traced(postgres_stores: StoreFactory) -> Iterator[tuple[PostgresStore, Counted]]:
    """A store over one traced connection, and a counter of the round trips a call made."""
    shared, _ = postgres_stores(DIM)
    pool: ConnectionPool = build_pool(str(shared.pool.conninfo), min_size=1, max_size=1)
    with pool, tempfile.TemporaryDirectory() as folder:
        pool.wait(timeout=30)
        trace = Path(folder) / "trace"
        with trace.open("w") as sink:
            conn = pool.getconn()
            conn.pgconn.trace(sink.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            pool.putconn(conn)

            def count(call: Callable[[], object]) -> int:
                sink.flush()
                before = trace.read_text().splitlines()
                call()
                sink.flush()
                sent = trace.read_text().splitlines()[len(before):]
                return sum(1 for line in sent if _waits(line))

            yield PostgresStore(pool), count
            conn = pool.getconn()
            conn.pgconn.untrace()
            pool.putconn(conn)


def _waits(line: str) -> bool:
    fields = line.split("\t")
    return len(fields) > 2 and fields[0] == "F" and fields[2] in ("Sync", "Query")


def _history(n: int) -> list[Message]:
    out: list[Message] = []
    for i in range(n):
        if i % 10 == 3:
            call = ToolCall(id=f"c{i}", name="lookup", arguments='{"q": "port"}')
            out.append(Message(role=Role.ASSISTANT, content="", tool_calls=(call,),
                               embedding=vec(1, i % 7)))
            out.append(Message(role=Role.TOOL, content=f"port {i} answered", tool_call_id=f"c{i}",
                               embedding=vec(2, i % 5)))
        else:
            out.append(Message(role=Role.USER if i % 2 else Role.ASSISTANT,
                               content=f"message {i} about the port of box {i % 13}",
                               embedding=vec(i % 3, 1)))
    return out


def test_a_query_window_takes_two_round_trips_and_a_plain_one_one(
    traced: tuple[PostgresStore, Counted], tenant: str, clock: FakeClock
) -> None:
    store, count = traced
    engine: Engine = engine_over(store, clock)
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(300))
    ask = {"budget": 600, "query": "which port did box 7 answer on", "query_embedding": vec(1, 1)}
    engine.window(tenant, ctx.id, **ask)  # the policy and the history's length, now seen
    assert count(lambda: engine.window(tenant, ctx.id, **ask)) <= 2
    assert count(lambda: engine.window(tenant, ctx.id, budget=600, query="box 7 port")) <= 2
    assert count(lambda: engine.window(tenant, ctx.id, budget=600)) == 1
    # The counter counts: the same window read one call at a time takes more.
    relevance = store.rank_relevant
    assert count(lambda: relevance(tenant, ctx.id, text="port", embedding=None, k=5)) == 2
