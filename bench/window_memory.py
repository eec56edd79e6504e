"""Window p50 over the in-memory adapter at 1k, 100k and 1M entries: it must stay flat.

Each history is one pin (a system message) then 50-token user/assistant entries,
appended in batches of 1000 with client token counts. The window is asked through the
Engine (budget 8000, reserve 0), the same path an offline agent takes. Baseline: the 1k
figure measured in this run, so the ratio reads "how many times slower than at 1k".
"""

from __future__ import annotations

from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench._common import emit, log, p50_ms, size_label, sized
from domain.model import Context, EntryDraft, Role
from entrypoints.engine import Engine

SIZES = sized((1_000, 100_000, 1_000_000), (10, 100, 1_000))
BATCH = 1000
TOKENS = 50
BUDGET = 8000
TENANT = "bench-tenant"


def build(engine: Engine, size: int) -> str:
    """A context holding `size` entries; returns its id."""
    clock = engine.clock
    now = clock.now()
    ctx = engine.store.create_context(
        Context(
            id=engine.ids.new_id(),
            tenant_id=TENANT,
            name=f"h{size}",
            created_at=now,
            updated_at=now,
        )
    )
    pin = EntryDraft(role=Role.SYSTEM, content="You are terse.", token_count=10)
    engine.store.append(TENANT, ctx.id, [pin], now=now)
    drafts = [
        EntryDraft(
            role=Role.USER if i % 2 == 0 else Role.ASSISTANT,
            content=f"entry {i} of a long conversation",
            token_count=TOKENS,
        )
        for i in range(BATCH)
    ]
    left = size - 1
    while left > 0:
        engine.store.append(TENANT, ctx.id, drafts[: min(BATCH, left)], now=clock.now())
        left -= BATCH
    return ctx.id


def main() -> None:
    """Print window.memory.p50.<size> for each size, against the smallest size's figure."""
    tokens = OfflineTokenCounter()
    engine = Engine(
        store=MemoryStore(),
        tokens=tokens,
        summarizer=ExtractiveSummarizer(tokens),
        clock=SystemClock(),
        ids=UuidIds(),
    )
    baseline: float | None = None
    for size in SIZES:
        log(f"window_memory: building {size} entries")
        cid = build(engine, size)
        head = engine.get_context(TENANT, cid).head_version
        assert head == size, head

        def ask(cid: str = cid) -> object:
            return engine.window(TENANT, cid, budget=BUDGET, reserve=0)

        value = p50_ms(ask, repeat=300, warmup=20)
        if baseline is None:
            baseline = value
        emit(
            f"window.memory.p50.{size_label(size)}",
            size,
            value,
            "ms",
            baseline=f"window.memory.p50.{size_label(SIZES[0])}",
            baseline_value=baseline,
        )


if __name__ == "__main__":
    main()
