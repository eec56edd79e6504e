"""Append throughput into the Postgres adapter, entries per second.

Batches of 10 entries of ~50 tokens (client counts), as in the design's performance notes,
against the embedded server (fsync on, default settings) or DATABASE_URL. Measured:
  - the store alone, one writer (one statement per batch, autocommit);
  - the Engine (get_context + Message -> draft -> store), one writer;
  - the store with 8 writers on one context (gapless versions under the row lock);
  - the median latency of one batch through the store (throughput on a shared 2-core
    machine is dominated by stalls; the median shows the statement's own cost).
Baseline, in the same run: a raw psycopg COPY of the same rows into context_versions,
one COPY for all of them: the fastest way PostgreSQL takes these rows. The ratio is the
share of that speed each path keeps.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.postgres.rows import content_json
from adapters.postgres.store import PostgresStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench._common import emit, log, p50_ms, sized
from bench._postgres import fresh_database, open_store
from domain.model import Context, EntryDraft, Message, Role
from entrypoints.engine import Engine

BATCHES = sized(1000, 16)
BATCH = 10
WRITERS = 8
TENANT = "bench-tenant"
# About 50 tokens of English.
TEXT = (
    "The quarterly report shows revenue growth in every region, with the strongest "
    "gains in the north, while costs stayed flat and the team plans to hire two more "
    "engineers next month to keep up with demand."
)
_COPY = """
COPY context_versions (tenant_id, context_id, version, kind, role, content, metadata,
    token_count, token_source, pinned, is_pin, eligible_before, created_at)
FROM STDIN
"""


def _drafts() -> list[EntryDraft]:
    return [
        EntryDraft(role=Role.USER if i % 2 == 0 else Role.ASSISTANT, content=TEXT, token_count=50)
        for i in range(BATCH)
    ]


def _context(store: PostgresStore) -> str:
    now = datetime.now(UTC)
    cid = str(uuid.uuid4())
    store.create_context(
        Context(id=cid, tenant_id=TENANT, name="bench", created_at=now, updated_at=now)
    )
    return cid


def _rate(entries: int, run: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    run()
    return entries / (time.perf_counter() - t0)


def copy_rate(store: PostgresStore, drafts: list[EntryDraft]) -> float:
    """Entries per second for one raw COPY of BATCHES x BATCH rows."""
    cid = _context(store)
    now = datetime.now(UTC)
    rows = []
    for b in range(BATCHES):
        for i, d in enumerate(drafts):
            version = b * BATCH + i + 1
            rows.append(
                (
                    TENANT,
                    cid,
                    version,
                    "message",
                    d.role.value,
                    content_json(d.content),
                    "{}",
                    d.token_count,
                    "client",
                    False,
                    False,
                    (version - 1) * 50,
                    now,
                )
            )

    def run() -> None:
        with store.pool.connection() as conn, conn.cursor() as cur, cur.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)

    return _rate(len(rows), run)


def main() -> None:
    """Print append.postgres.* in entries/s, against a raw COPY of the same rows."""
    drafts = _drafts()
    messages = [Message(role=d.role, content=d.content, token_count=50) for d in drafts]
    entries = BATCHES * BATCH
    with fresh_database() as url, open_store(url, max_size=WRITERS) as store:
        tokens = OfflineTokenCounter()
        engine = Engine(
            store=store,
            tokens=tokens,
            summarizer=ExtractiveSummarizer(tokens),
            clock=SystemClock(),
            ids=UuidIds(),
        )
        warm = _context(store)
        for _ in range(min(100, BATCHES)):
            store.append(TENANT, warm, drafts, now=datetime.now(UTC))

        log("postgres_append: COPY baseline")
        base = copy_rate(store, drafts)
        emit(
            "append.postgres.copy_baseline",
            entries,
            base,
            "entries/s",
            baseline="append.postgres.copy_baseline",
            baseline_value=base,
        )

        cid = _context(store)

        def store_run() -> None:
            for _ in range(BATCHES):
                store.append(TENANT, cid, drafts, now=datetime.now(UTC))

        log("postgres_append: store, one writer")
        emit(
            "append.postgres.store",
            entries,
            _rate(entries, store_run),
            "entries/s",
            baseline="append.postgres.copy_baseline",
            baseline_value=base,
        )

        ctx = engine.create_context(TENANT, name="engine")

        def engine_run() -> None:
            for _ in range(BATCHES):
                engine.append(TENANT, ctx.id, messages)

        lone = _context(store)

        def one_batch() -> None:
            store.append(TENANT, lone, drafts, now=datetime.now(UTC))

        emit("append.postgres.store.p50_batch", BATCH, p50_ms(one_batch, repeat=500), "ms")

        log("postgres_append: engine, one writer")
        emit(
            "append.postgres.engine",
            entries,
            _rate(entries, engine_run),
            "entries/s",
            baseline="append.postgres.copy_baseline",
            baseline_value=base,
        )

        shared = _context(store)
        per_writer = BATCHES // WRITERS

        def writers_run() -> None:
            def write() -> None:
                for _ in range(per_writer):
                    store.append(TENANT, shared, drafts, now=datetime.now(UTC))

            threads = [threading.Thread(target=write) for _ in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        log(f"postgres_append: store, {WRITERS} writers on one context")
        written = per_writer * WRITERS * BATCH
        rate = _rate(written, writers_run)
        head = store.get_context(TENANT, shared).head_version
        assert head == written, (head, written)
        emit(
            f"append.postgres.store.{WRITERS}_writers_one_context",
            written,
            rate,
            "entries/s",
            baseline="append.postgres.copy_baseline",
            baseline_value=base,
        )


if __name__ == "__main__":
    main()
