"""Fixtures for the Postgres-only tests: a fresh tenant, bulk-loaded histories."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest

# Rows straight into the tables, as the append path would lay them out: n eligible
# messages of `tokens` each (running sums included), loaded by generate_series in SQL.
# "message N" holds two terms, each once: its postings (migration 012) are loaded too.
_CONTEXT = """
INSERT INTO contexts (tenant_id, id, name, policy, head_version, token_total,
                      eligible_total, eligible_count, eligible_terms, created_at, updated_at)
VALUES (%(t)s, %(c)s, 'bulk', '{}', %(n)s, %(n)s::bigint * %(tok)s,
        %(n)s::bigint * %(tok)s, %(n)s, 2 * %(n)s::bigint, now(), now())
"""
_ROWS = """
INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content, metadata,
    token_count, token_source, pinned, is_pin, eligible_before, term_count,
    eligible_count_before, eligible_terms_before, created_at)
SELECT %(t)s, %(c)s, g, 'message', CASE WHEN g %% 2 = 0 THEN 'assistant' ELSE 'user' END,
       to_json('message ' || g), '{}', %(tok)s, 'client', false, false,
       (g - 1)::bigint * %(tok)s, 2, g - 1,
       (g - 1)::bigint * 2, now()
FROM generate_series(1, %(n)s) AS g
"""
_POSTINGS = """
INSERT INTO lexical_postings (tenant_id, context_id, term, version, tf, dl, nth)
SELECT %(t)s, %(c)s, x.term, g, 1, 2, x.nth
FROM generate_series(1, %(n)s) AS g, LATERAL (VALUES ('message', g), (g::text, 1)) AS x(term, nth)
"""
_TERMS = """
INSERT INTO lexical_terms (tenant_id, context_id, term, df)
SELECT %(t)s, %(c)s, 'message', %(n)s
UNION ALL SELECT %(t)s, %(c)s, g::text, 1 FROM generate_series(1, %(n)s) AS g
"""

Loader = Callable[[str, int], str]


@pytest.fixture
def tenant() -> str:
    """A tenant no other test uses."""
    return f"t-{uuid.uuid4()}"


@pytest.fixture
def load_history(postgres_url: str) -> Loader:
    """Bulk-load a context of n messages of 50 tokens for `tenant`; returns its id.

    Loaded as the owner: ANALYZE is the owner's, and the store's role sees the rows only
    through row-level security, as it sees the ones it appends."""

    def load(tenant: str, n: int) -> str:
        cid = str(uuid.uuid4())
        params = {"t": tenant, "c": cid, "n": n, "tok": 50}
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(_CONTEXT, params)
            conn.execute(_ROWS, params)
            conn.execute(_POSTINGS, params)
            conn.execute(_TERMS, params)
            conn.execute("ANALYZE context_versions")
            conn.execute("ANALYZE lexical_postings")
        return cid

    return load


def explain(conn: psycopg.Connection, sql: str, params: dict[str, object]) -> str:  # type: ignore[type-arg]
    """The plan PostgreSQL chooses for `sql` with these parameter values."""
    rows = conn.execute("EXPLAIN " + sql, params).fetchall()
    return "\n".join(str(r[0]) for r in rows)
