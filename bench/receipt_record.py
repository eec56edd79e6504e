"""The cost of recording a window as a receipt: a window with record=True against the same
window without, on each store, alternating A B A B in the same run.

A recorded window is the plain window plus one INSERT of its receipt (versions, reasons
and accounting, never the text). History: one pin then 50-token entries, budget 8000, so
a window holds about 160 entries: the receipt's size that matters. Baseline: the plain
window's p50 on the same store, measured in alternation with the recorded one.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Iterator

from adapters.memory.store import MemoryStore
from bench._common import emit, log, p50_ms, sized
from bench._postgres import fresh_database, open_store
from bench.eval_recall import engine_over
from domain.model import Message, Role
from entrypoints.engine import Engine, Store
from migrations import DEFAULT_DIMENSION

SIZE = sized(2_000, 200)
ROUNDS = sized(6, 2)
REPEAT = sized(300, 3)
BATCH = 500
BUDGET = 8000
TENANT = "bench-receipts"




def _seeded(engine: Engine) -> str:
    ctx = engine.create_context(TENANT, name="receipts")
    engine.append(TENANT, ctx.id, [Message(role=Role.SYSTEM, content="Be terse.", token_count=10)])
    turns = [
        Message(role=Role.USER if i % 2 == 0 else Role.ASSISTANT,
                content=f"entry {i} of a long conversation", token_count=50)
        for i in range(BATCH)
    ]
    for start in range(1, SIZE, BATCH):
        engine.append(TENANT, ctx.id, turns[: min(BATCH, SIZE - start)])
    return ctx.id


@contextlib.contextmanager
def _stores() -> Iterator[Iterator[tuple[str, Store]]]:
    with fresh_database() as url, open_store(url) as postgres:
        yield iter((("memory", MemoryStore()), ("postgres", postgres)))


def main() -> None:
    """Print receipt.<store>.recorded.p50 against receipt.<store>.plain.p50, per store."""
    with _stores() as stores:
        for name, store in stores:
            engine = engine_over(store, dimension=DEFAULT_DIMENSION)
            cid = _seeded(engine)
            sent = engine.window(TENANT, cid, budget=BUDGET, record=True)
            assert sent.receipt_id is not None
            assert engine.receipt(TENANT, cid, sent.receipt_id).window == sent
            log(f"receipt_record: {name}, {SIZE} entries, {len(sent.entries)} in the window")

            def plain(cid: str = cid, engine: Engine = engine) -> object:
                return engine.window(TENANT, cid, budget=BUDGET)

            def recorded(cid: str = cid, engine: Engine = engine) -> object:
                return engine.window(TENANT, cid, budget=BUDGET, record=True)

            a: list[float] = []
            b: list[float] = []
            for _ in range(ROUNDS):  # A B A B: drift hits both alike
                a.append(p50_ms(plain, repeat=REPEAT))
                b.append(p50_ms(recorded, repeat=REPEAT))
            base, value = statistics.median(a), statistics.median(b)
            emit(f"receipt.{name}.plain.p50", SIZE, base, "ms")
            emit(f"receipt.{name}.recorded.p50", SIZE, value, "ms",
                 baseline=f"receipt.{name}.plain.p50", baseline_value=base)


if __name__ == "__main__":
    main()
