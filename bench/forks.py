"""Copy-on-write forks: the time a fork takes at 1k and 1M entries, the storage it adds,
and the window on a fork chain against the same history unforked, on both stores.

Postgres histories are loaded in SQL (bench/window_postgres.load); memory ones through
the engine. Fork time alternates the small and the large parent (A B A B), each fork at
the head; its baseline is the 1k fork of the same run (the issue's bound: ratio <= 2). The
storage line is the bytes the tables grew by per fork of the 1M context (rows and index
entries; baseline: the bytes its parent's own rows take). The chain: five forks, each ten
versions back from its parent's head with five entries of its own; its window p50 (plain
and query-aware) against the root's, alternating, budget 8000.
"""

from __future__ import annotations

import functools
import statistics
import time

from adapters.memory.store import MemoryStore
from adapters.postgres.store import PostgresStore
from bench._common import emit, log, size_label, sized
from bench._postgres import fresh_database, open_store
from bench.eval_recall import engine_over
from bench.window_postgres import TENANT, load
from domain.model import Message, Role
from entrypoints.engine import Engine
from migrations import DEFAULT_DIMENSION

SIZES = sized((1_000, 1_000_000), (10, 1_000))
MEMORY_SIZES = sized((1_000, 100_000), (10, 500))
ROUNDS = sized(40, 3)
DEPTH = 5
BUDGET = 8000
# Every loaded entry says "entry N of a long conversation": the query names one entry and
# a word all of them hold (bounded by domain.lexical.POSTINGS_PER_TERM).
QUERY = "conversation 777"




def _fork_ms(engine: Engine, cid: str) -> float:
    t0 = time.perf_counter()
    engine.fork(TENANT, cid)
    return (time.perf_counter() - t0) * 1000


def fork_times(engine: Engine, small: str, large: str) -> tuple[float, float]:
    """p50 of forking each parent at its head, alternating."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(ROUNDS):
        a.append(_fork_ms(engine, small))
        b.append(_fork_ms(engine, large))
    return statistics.median(a), statistics.median(b)


def chain(engine: Engine, root: str) -> str:
    """DEPTH forks, each ten versions back, with five entries of its own; the leaf's id."""
    cid = root
    for i in range(DEPTH):
        head = engine.get_context(TENANT, cid).head_version
        cid = engine.fork(TENANT, cid, version=head - 10).id
        engine.append(TENANT, cid, [
            Message(role=Role.USER, content=f"fork {i} says {j}", token_count=50)
            for j in range(5)
        ])
    return cid


def window_ratio(engine: Engine, name: str, root: str, leaf: str, size: int, **query: str) -> None:
    """The leaf's window p50 against the root's, alternating rounds."""
    ask = functools.partial(engine.window, TENANT, budget=BUDGET, reserve=0, **query)
    for cid in (root, leaf):
        for _ in range(sized(20, 1)):
            ask(cid)
    plain: list[float] = []
    forked: list[float] = []
    for _ in range(sized(15, 2)):
        for cid, into in ((root, plain), (leaf, forked)):
            for _ in range(10):
                t0 = time.perf_counter()
                ask(cid)
                into.append((time.perf_counter() - t0) * 1000)
    base = statistics.median(plain)
    emit(f"forks.{name}.unforked.p50", size, base, "ms")
    emit(f"forks.{name}.chain{DEPTH}.p50", size, statistics.median(forked), "ms",
         baseline=f"forks.{name}.unforked.p50", baseline_value=base)


def _table_bytes(store: PostgresStore) -> int:
    with store.pool.connection() as conn:
        row = conn.execute(
            "SELECT pg_total_relation_size('contexts') + pg_total_relation_size('context_versions')"
        ).fetchone()
    return int(row[0]) if row else 0


def _own_bytes(store: PostgresStore, cid: str) -> int:
    with store.pool.connection() as conn:
        row = conn.execute(
            "SELECT sum(pg_column_size(v.*)) FROM context_versions v WHERE context_id = %s",
            (cid,),
        ).fetchone()
    return int(row[0]) if row and row[0] else 0


def postgres() -> None:
    """Fork time, storage per fork and the chain's windows over PostgreSQL."""
    with fresh_database() as url, open_store(url) as store:
        engine = engine_over(store, dimension=DEFAULT_DIMENSION)
        parents = {}
        for size in SIZES:
            t0 = time.perf_counter()
            parents[size] = load(store, size, postings=True)
            log(f"forks: loaded {size} entries in {time.perf_counter() - t0:.1f}s")
        small, large = SIZES
        a, b = fork_times(engine, parents[small], parents[large])
        emit(f"forks.postgres.fork.p50.{size_label(small)}", small, a, "ms")
        emit(f"forks.postgres.fork.p50.{size_label(large)}", large, b, "ms",
             baseline=f"forks.postgres.fork.p50.{size_label(small)}", baseline_value=a)
        before = _table_bytes(store)
        n = sized(100, 5)
        for _ in range(n):
            engine.fork(TENANT, parents[large])
        with store.pool.connection() as conn:
            conn.execute("VACUUM ANALYZE contexts")
        grown = max(_table_bytes(store) - before, 0) / n
        emit(f"forks.postgres.bytes_per_fork.{size_label(large)}", large, grown, "bytes",
             baseline=f"forks.postgres.parent_bytes.{size_label(large)}",
             baseline_value=_own_bytes(store, parents[large]))
        leaf = chain(engine, parents[large])
        window_ratio(engine, "postgres.window", parents[large], leaf, large)
        window_ratio(engine, "postgres.query_window", parents[large], leaf, large, query=QUERY)


def memory() -> None:
    """Fork time and the chain's windows in process."""
    engine = engine_over(MemoryStore(), dimension=DEFAULT_DIMENSION)
    parents = {}
    for size in MEMORY_SIZES:
        ctx = engine.create_context(TENANT)
        msgs = [Message(role=Role.USER, content=f"entry {i} of a long conversation",
                        token_count=50) for i in range(size)]
        for start in range(0, size, 1000):
            engine.append(TENANT, ctx.id, msgs[start : start + 1000])
        parents[size] = ctx.id
    small, large = MEMORY_SIZES
    a, b = fork_times(engine, parents[small], parents[large])
    emit(f"forks.memory.fork.p50.{size_label(small)}", small, a, "ms")
    emit(f"forks.memory.fork.p50.{size_label(large)}", large, b, "ms",
         baseline=f"forks.memory.fork.p50.{size_label(small)}", baseline_value=a)
    leaf = chain(engine, parents[large])
    window_ratio(engine, "memory.window", parents[large], leaf, large)
    window_ratio(engine, "memory.query_window", parents[large], leaf, large, query=QUERY)


def main() -> None:
    """Both stores, one after the other."""
    memory()
    postgres()


if __name__ == "__main__":
    main()
