"""Query-aware window p50 at 1,500 and 100,000 entries, on memory and on Postgres.

Histories come from bench/_conversations.py (fixed seed; chatter, tool calls, planted
facts) with client-supplied 64-d vectors from the static offline model (a latency bench:
the vectors' quality does not matter, and the MiniLM model would spend minutes embedding
100k messages), appended through
the engine in batches of 1,000. The query is the last planted fact's question, as text
and vector; budget 8000, default policy. Baseline: the recency-only window's p50 on the
same store and history in this run, so the ratio is the price of asking with a query.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

from adapters.embedders.static import STATIC_DIMENSION, StaticEmbedder
from adapters.memory.store import MemoryStore
from bench._common import emit, log, p50_ms, sized
from bench._conversations import conversation
from bench._postgres import fresh_database, open_store
from bench.eval_recall import engine_over, with_vectors
from domain.model import Message
from entrypoints.engine import Engine

SIZES = sized((1_500, 100_000), (200, 400))
BUDGET = 8000
SEED = 7
TENANT = "bench-window-query"


def measure(adapter: str, engine: Engine, histories: dict[int, tuple[list[Message], str]],
            embedder: StaticEmbedder) -> None:
    """Load each history, then time the plain and the query-aware window."""
    for size, (messages, question) in histories.items():
        t0 = time.perf_counter()
        ctx = engine.create_context(TENANT)
        for start in range(0, len(messages), 1000):
            engine.append(TENANT, ctx.id, messages[start : start + 1000])
        log(f"window_query: {adapter} loaded {size} entries in {time.perf_counter() - t0:.1f}s")
        vector = embedder.embed([question])[0]
        repeat = 200 if adapter == "memory" else 50
        plain = p50_ms(functools.partial(engine.window, TENANT, ctx.id, budget=BUDGET),
                       repeat=repeat)
        ask = functools.partial(engine.window, TENANT, ctx.id, budget=BUDGET, query=question,
                                query_embedding=vector)
        aware = p50_ms(ask, repeat=repeat)
        emit(f"window_query.{adapter}.recency.p50", size, plain, "ms")
        emit(f"window_query.{adapter}.p50", size, aware, "ms",
             baseline=f"window_query.{adapter}.recency.p50", baseline_value=plain)


def histories(
    embedder: StaticEmbedder, sizes: Sequence[int]
) -> dict[int, tuple[list[Message], str]]:
    """For each size, the messages with vectors and the question about its last fact."""
    out = {}
    for size in sizes:
        conv = conversation(SEED, size=size, facts=min(12, size // 100))
        out[size] = (with_vectors(conv.messages, embedder), conv.facts[-1][1].question)
    return out


def main() -> None:
    """Print p50s for both adapters and both sizes, each against its recency window."""
    embedder = StaticEmbedder()
    made = histories(embedder, SIZES)
    measure("memory", engine_over(MemoryStore(), dimension=STATIC_DIMENSION), made, embedder)
    with fresh_database(STATIC_DIMENSION) as url, open_store(url) as store:
        measure("postgres", engine_over(store, dimension=STATIC_DIMENSION), made, embedder)
