"""OpenAI-size embeddings on PostgreSQL: what 1536 dimensions cost an append and a window.

The deployment's default dimension is 1536 and clients send vectors by default, but the
other benches use 64-dimension vectors, which stay small and inline: a vector of 6 KB is
what an append must send and index and what a ranking must read. Over a fresh database
migrated for 1536 dimensions (the embedded server, or DATABASE_URL), prepared statements
as `serve` runs its embedded server, random unit-scale vectors (their values do not change
the cost):

- append10: appending 10 messages of ~30 tokens, each with its vector, p50 ms, against
  the same messages without vectors, alternated A B A B;
- window: the query-aware window (budget 8000, the question's text and a vector) over a
  history of N such entries, p50 ms, against the recency window over the same context,
  alternated. Below the HNSW threshold (10k active entries) the ranking is an exact
  cosine scan over every vector of the context.
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable

import attrs

from bench._common import emit, log, sized
from bench._conversations import conversation
from bench._postgres import fresh_database, open_store
from bench.eval_recall import engine_over
from domain.model import Message, Role
from entrypoints.engine import Engine

DIMENSION = 1536
HISTORY = sized(5_000, 60)
APPENDS = sized(150, 3)  # appends per side per round
ROUNDS = sized(3, 1)
WINDOWS = sized(40, 3)  # windows per side per round
BUDGET = 8000
TENANT = "bench-vectors"
TEXT = "The agent compared the two replicas' pool settings and proposed a rollback of item"


def _vector(rng: random.Random) -> list[float]:
    return [rng.gauss(0.0, 1.0) for _ in range(DIMENSION)]


def _alternated(a: Callable[[], object], b: Callable[[], object], n: int) -> tuple[float, float]:
    """p50 ms of `a` and of `b`, run in turn ROUNDS times, n calls each time."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for fn, out in ((a, times[0]), (b, times[1])):
            fn()  # warm-up
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def _appends(engine: Engine, rng: random.Random) -> None:
    ctx = engine.create_context(TENANT)
    count = [0]

    def batch(vectors: bool) -> Callable[[], object]:
        def append() -> object:
            count[0] += 1
            messages = [
                Message(role=Role.USER, content=f"{TEXT} {count[0]}.{j}", token_count=30,
                        embedding=_vector(rng) if vectors else None)
                for j in range(10)
            ]  # fmt: skip
            return engine.append(TENANT, ctx.id, messages)

        return append

    with_vectors, without = _alternated(batch(True), batch(False), APPENDS)
    emit("vectors_postgres.append10.p50", 10, with_vectors, "ms",
         baseline="vectors_postgres.append10.no_vectors.p50", baseline_value=without)  # fmt: skip


def _windows(engine: Engine, rng: random.Random) -> None:
    conv = conversation(7, size=HISTORY, facts=min(12, HISTORY // 100 or 1))
    messages = [attrs.evolve(m, embedding=_vector(rng)) for m in conv.messages]
    ctx = engine.create_context(TENANT)
    t0 = time.perf_counter()
    for start in range(0, len(messages), 500):
        engine.append(TENANT, ctx.id, messages[start : start + 500])
    log(f"vectors_postgres: loaded {len(messages)} entries in {time.perf_counter() - t0:.1f}s")
    question = conv.facts[-1][1].question
    window = functools.partial(engine.window, TENANT, ctx.id, budget=BUDGET)
    aware = functools.partial(window, query=question, query_embedding=_vector(rng))
    query, recency = _alternated(aware, window, WINDOWS)
    emit("vectors_postgres.window.recency.p50", len(messages), recency, "ms")
    emit("vectors_postgres.window.p50", len(messages), query, "ms",
         baseline="vectors_postgres.window.recency.p50", baseline_value=recency)  # fmt: skip


def main() -> None:
    """Print the append and window lines for 1536-dimension vectors."""
    rng = random.Random(3)
    with fresh_database(DIMENSION) as url, open_store(url, prepare=True) as store:
        engine = engine_over(store, dimension=DIMENSION)
        _appends(engine, rng)
        _windows(engine, rng)


if __name__ == "__main__":
    main()
