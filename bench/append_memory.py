"""Append throughput into the in-memory adapter, entries per second.

Batches of 10 entries of 50 tokens (client counts) into one context, as in the design's
performance notes. Two paths are measured: the store alone (prepared drafts) and the
Engine (Message -> draft -> store; no tokenizer since counts are given). The baseline,
measured in the same run, is the irreducible work: building the same stored Entry values
(entry_from_draft) into a plain list with no store, so the ratio is the share of that
speed the adapter keeps (1.0 would mean the store's bookkeeping costs nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench._common import emit, log, sized
from domain.model import Context, Entry, EntryDraft, Message, Role, entry_from_draft
from entrypoints.engine import Engine

ENTRIES = sized(100_000, 100)
BATCH = 10
TENANT = "bench-tenant"


def _rate(run: Callable[[], None]) -> float:
    """Entries per second of one run appending ENTRIES (best of 3, to damp noise)."""
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        best = max(best, ENTRIES / (time.perf_counter() - t0))
    return best


def _drafts() -> list[EntryDraft]:
    return [
        EntryDraft(role=Role.USER, content=f"message {i} with some words", token_count=50)
        for i in range(BATCH)
    ]


def main() -> None:
    """Print the baseline, the store path and the engine path, in entries/s."""
    clock = SystemClock()
    drafts = _drafts()

    def baseline_run() -> None:
        out: list[Entry] = []
        for start in range(0, ENTRIES, BATCH):
            now = clock.now()
            out.extend(
                entry_from_draft(d, version=start + i + 1, created_at=now)
                for i, d in enumerate(drafts)
            )

    def store_run() -> None:
        store = MemoryStore()
        now = clock.now()
        ctx = store.create_context(
            Context(id="c", tenant_id=TENANT, name="", created_at=now, updated_at=now)
        )
        for _ in range(ENTRIES // BATCH):
            store.append(TENANT, ctx.id, drafts, now=clock.now())

    messages = [
        Message(role="user", content=f"message {i} with some words", token_count=50)
        for i in range(BATCH)
    ]

    def engine_run() -> None:
        tokens = OfflineTokenCounter()
        engine = Engine(
            store=MemoryStore(),
            tokens=tokens,
            summarizer=ExtractiveSummarizer(tokens),
            clock=clock,
            ids=UuidIds(),
        )
        ctx = engine.create_context(TENANT)
        for _ in range(ENTRIES // BATCH):
            engine.append(TENANT, ctx.id, messages)

    log("append_memory: baseline")
    base = _rate(baseline_run)
    emit(
        "append.memory.baseline_build_entries",
        ENTRIES,
        base,
        "entries/s",
        baseline="append.memory.baseline_build_entries",
        baseline_value=base,
    )
    log("append_memory: store")
    emit(
        "append.memory.store",
        ENTRIES,
        _rate(store_run),
        "entries/s",
        baseline="append.memory.baseline_build_entries",
        baseline_value=base,
    )
    log("append_memory: engine")
    emit(
        "append.memory.engine",
        ENTRIES,
        _rate(engine_run),
        "entries/s",
        baseline="append.memory.baseline_build_entries",
        baseline_value=base,
    )


if __name__ == "__main__":
    main()
