"""Window p50 over the Postgres adapter at 1k, 100k and 1M entries: it must stay flat.

Each history is one pin (a system message, version 1) then 50-token user/assistant
entries. Big histories are loaded in SQL (generate_series, with the running sums the
append path would store), not through the append path. The window is asked through the
Engine (budget 8000, reserve 0) over a pool, as the HTTP app does. Baseline: the 1k figure
measured in this run; the 1M figure must stay within 2x of it.
"""

from __future__ import annotations

import time
import uuid

from adapters.postgres.store import PostgresStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench._common import emit, log, p50_ms, size_label, sized
from bench._postgres import fresh_database, open_store
from entrypoints.engine import Engine

SIZES = sized((1_000, 100_000, 1_000_000), (10, 100, 1_000))
TOKENS = 50
BUDGET = 8000
TENANT = "bench-tenant"

_CONTEXT = """
INSERT INTO contexts (tenant_id, id, name, policy, head_version, token_total,
                      eligible_total, eligible_count, eligible_terms, created_at, updated_at)
VALUES (%(t)s, %(c)s, 'bulk', '{}', %(n)s, 10 + (%(n)s::bigint - 1) * %(tok)s,
        (%(n)s::bigint - 1) * %(tok)s, %(n)s - 1, 6 * (%(n)s::bigint - 1), now(), now())
"""
_PIN = """
INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content, metadata,
    token_count, token_source, pinned, is_pin, eligible_before, created_at)
VALUES (%(t)s, %(c)s, 1, 'message', 'system', to_json('You are terse.'::text), '{}', 10,
        'client', false, true, 0, now())
"""
_ROWS = """
INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content, metadata,
    token_count, token_source, pinned, is_pin, eligible_before, term_count,
    eligible_count_before, eligible_terms_before, created_at)
SELECT %(t)s, %(c)s, g, 'message', CASE WHEN g %% 2 = 0 THEN 'user' ELSE 'assistant' END,
       to_json('entry ' || g || ' of a long conversation'), '{}', %(tok)s, 'client', false,
       false, (g - 2)::bigint * %(tok)s, 6, g - 2, 6 * (g - 2)::bigint, now()
FROM generate_series(2, %(n)s) AS g
"""
# The lexical postings of those entries (migration 012), for benches that rank text: the
# searchable terms of "entry N of a long conversation" are entry, N, long and conversation.
_POSTINGS = """
INSERT INTO lexical_postings (tenant_id, context_id, term, version, tf, dl, nth)
SELECT %(t)s, %(c)s, x.term, g, 1, 6, x.nth
FROM generate_series(2, %(n)s) AS g,
     LATERAL (VALUES ('entry', g - 1), (g::text, 1), ('long', g - 1), ('conversation', g - 1))
         AS x(term, nth)
"""


def load(store: PostgresStore, size: int, *, postings: bool = False) -> str:
    """A context of `size` entries written straight into the tables (with their lexical
    postings when asked: queries find nothing without them); returns its id."""
    cid = str(uuid.uuid4())
    params = {"t": TENANT, "c": cid, "n": size, "tok": TOKENS}
    with store.pool.connection() as conn:
        conn.execute(_CONTEXT, params)
        conn.execute(_PIN, params)
        conn.execute(_ROWS, params)
        if postings:
            conn.execute(_POSTINGS, params)
            conn.execute("VACUUM ANALYZE lexical_postings")
        conn.execute("VACUUM ANALYZE context_versions")
    return cid


def main() -> None:
    """Print window.postgres.p50.<size> for each size, against the smallest size's figure."""
    tokens = OfflineTokenCounter()
    with fresh_database() as url, open_store(url) as store:
        engine = Engine(
            store=store,
            tokens=tokens,
            summarizer=ExtractiveSummarizer(tokens),
            clock=SystemClock(),
            ids=UuidIds(),
        )
        baseline: float | None = None
        for size in SIZES:
            t0 = time.perf_counter()
            cid = load(store, size)
            log(f"window_postgres: loaded {size} entries in {time.perf_counter() - t0:.1f}s")
            window = engine.window(TENANT, cid, budget=BUDGET, reserve=0)
            assert window.head_version == size and window.tokens <= BUDGET, window.tokens
            assert window.entries[-1].entry.version == size

            def ask(cid: str = cid) -> object:
                return engine.window(TENANT, cid, budget=BUDGET, reserve=0)

            value = p50_ms(ask, repeat=300, warmup=20)
            if baseline is None:
                baseline = value
            emit(
                f"window.postgres.p50.{size_label(size)}",
                size,
                value,
                "ms",
                baseline=f"window.postgres.p50.{size_label(SIZES[0])}",
                baseline_value=baseline,
            )


if __name__ == "__main__":
    main()
