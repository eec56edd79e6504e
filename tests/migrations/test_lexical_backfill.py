"""Migration 005 on a database written before it: the backfilled terms and running counts
are those the application now writes, so old contexts rank as the memory store does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from adapters.memory.store import MemoryStore
from adapters.postgres.pool import build_pool
from adapters.postgres.rows import content_json, policy_json, tool_calls_json
from adapters.postgres.store import PostgresStore
from domain import history, lexical
from domain.model import (
    ContentPart,
    Context,
    EntryDraft,
    EntryKind,
    Policy,
    Role,
    ToolCall,
    VersionRange,
)
from domain.tokens import message_text
from migrations import migrate

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TENANT = "t-legacy"
LEGACY = "legacy"
FRESH = "fresh"
DRAFTS = [
    EntryDraft(role=Role.USER, content="Amber basalt, amber! cobalt_blue", token_count=3),
    EntryDraft(
        role=Role.ASSISTANT,
        content=(
            ContentPart(type="text", text="Fjörd naïve 42 dune42"),
            ContentPart(type="image", data={"url": "x"}),
            ContentPart(type="text", text="AMBER"),
        ),
        token_count=4,
    ),
    EntryDraft(role=Role.SYSTEM, content="basalt system prompt", token_count=2),
    EntryDraft(
        role=Role.ASSISTANT,
        content="",
        tool_calls=(ToolCall(id="c1", name="basalt_lookup", arguments='{"q": "amber straße"}'),),
        token_count=5,
    ),
    EntryDraft(role=Role.USER, content="amber pinned note", token_count=2, pinned=True),
    EntryDraft(
        role=Role.SYSTEM,
        content="summary amber",
        token_count=2,
        kind=EntryKind.SUMMARY,
        covers=VersionRange(first=1, last=2),
    ),
    EntryDraft(role=Role.USER, content="東京 ωμέγα amber amber amber", token_count=3),
    EntryDraft(role=Role.USER, content="the x_1 _ of basalt", token_count=3),
    EntryDraft(role=Role.ASSISTANT, content="", token_count=1),
]
QUERIES = ["amber", "basalt straße", "fjörd 42", "東京 x_1 _", "cobalt_blue", "AMBER basalt"]

# What the statements before migration 005 wrote: PostgreSQL's parse of the text.
_LEGACY_CONTEXT = """
INSERT INTO contexts (tenant_id, id, name, policy, head_version, token_total, eligible_total,
                      compacted_through, summary_version, created_at, updated_at)
VALUES (%(tenant)s, %(id)s, 'old', %(policy)s, %(head)s, %(tokens)s, %(eligible)s, 2, 6,
        %(now)s, %(now)s)
"""
_LEGACY_ROW = """
INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content, tool_calls,
    metadata, token_count, token_source, pinned, is_pin, eligible_before, covers_first,
    covers_last, search, created_at)
VALUES (%(tenant)s, %(id)s, %(version)s, %(kind)s, %(role)s, %(content)s, %(tool_calls)s, '{}',
        %(tokens)s, 'counted', %(pinned)s, %(is_pin)s, %(before)s, %(first)s, %(last)s,
        to_tsvector('simple', %(text)s), %(now)s)
"""
_LEXICAL_COLUMNS = """
SELECT version, term_count, eligible_count_before, eligible_terms_before
FROM context_versions WHERE tenant_id = %s AND context_id = %s ORDER BY version
"""
# 012 turns 005's search vectors into postings and per-term counts.
_POSTINGS = """
SELECT term, version, tf, dl, nth FROM lexical_postings
WHERE tenant_id = %s AND context_id = %s ORDER BY term, version
"""
_TERMS = """
SELECT term, df FROM lexical_terms WHERE tenant_id = %s AND context_id = %s ORDER BY term
"""
_TOTALS = "SELECT eligible_count, eligible_terms FROM contexts WHERE tenant_id = %s AND id = %s"


def _write_legacy(url: str, drafts: Sequence[EntryDraft]) -> None:
    eligible = 0
    with psycopg.connect(url, autocommit=True) as conn:
        for version, d in enumerate(drafts, start=1):
            conn.execute(
                _LEGACY_ROW,
                {
                    "tenant": TENANT,
                    "id": LEGACY,
                    "version": version,
                    "kind": d.kind.value,
                    "role": d.role.value,
                    "content": content_json(d.content),
                    "tool_calls": tool_calls_json(d),
                    "tokens": d.token_count,
                    "pinned": d.pinned,
                    "is_pin": d.is_pin,
                    "before": eligible,
                    "first": d.covers.first if d.covers else None,
                    "last": d.covers.last if d.covers else None,
                    "text": message_text(d),
                    "now": NOW,
                },
            )
            eligible += d.token_count if history.is_eligible(d) else 0
        conn.execute(
            _LEGACY_CONTEXT,
            {
                "tenant": TENANT,
                "id": LEGACY,
                "policy": policy_json(Policy()),
                "head": len(drafts),
                "tokens": sum(d.token_count for d in drafts),
                "eligible": eligible,
                "now": NOW,
            },
        )


def _context(cid: str) -> Context:
    return Context(id=cid, tenant_id=TENANT, name="old", created_at=NOW, updated_at=NOW)


def test_old_contexts_are_backfilled_as_the_application_writes_them(
    empty_db: str, migration_dir: Path
) -> None:
    # The schema as it was before 005: later files (007's lexical_matches reads 005's
    # columns) wait with it.
    held = {p.name: p.read_text() for p in migration_dir.glob("*.sql") if p.name >= "005"}
    for name in held:
        (migration_dir / name).unlink()
    migrate(empty_db, directory=migration_dir)
    _write_legacy(empty_db, DRAFTS)
    for name, text in held.items():
        (migration_dir / name).write_text(text)
    assert migrate(empty_db, directory=migration_dir) == sorted(held)

    pool = build_pool(empty_db, min_size=1, max_size=2)
    pool.open(wait=True, timeout=30)
    try:
        store = PostgresStore(pool)
        store.create_context(_context(FRESH))
        store.append(TENANT, FRESH, DRAFTS[:5], now=NOW)
        store.record_compaction(TENANT, FRESH, DRAFTS[5], expected_version=5, now=NOW)
        store.append(TENANT, FRESH, DRAFTS[6:], now=NOW)
        with psycopg.connect(empty_db) as conn:
            legacy = conn.execute(_LEXICAL_COLUMNS, (TENANT, LEGACY)).fetchall()
            fresh = conn.execute(_LEXICAL_COLUMNS, (TENANT, FRESH)).fetchall()
            assert legacy == fresh
            for statement in (_POSTINGS, _TERMS):
                # 012 backfills every term; appends index the searchable ones: no query
                # asks for the rest, and their holders change no searchable term's nth.
                old = conn.execute(statement, (TENANT, LEGACY)).fetchall()
                legacy = [r for r in old if lexical.searchable(r[0])]
                assert legacy and legacy == conn.execute(statement, (TENANT, FRESH)).fetchall()
            totals = conn.execute(_TOTALS, (TENANT, LEGACY)).fetchone()
            assert totals == conn.execute(_TOTALS, (TENANT, FRESH)).fetchone()
            assert totals is not None and totals[0] == 6

        memory = MemoryStore()
        memory.create_context(_context(LEGACY))
        memory.append(TENANT, LEGACY, DRAFTS[:5], now=NOW)
        memory.record_compaction(TENANT, LEGACY, DRAFTS[5], expected_version=5, now=NOW)
        memory.append(TENANT, LEGACY, DRAFTS[6:], now=NOW)
        # An old context goes on: appended to, forked, ranked as memory ranks it.
        later = [EntryDraft(role=Role.USER, content="amber again, basalt", token_count=2)]
        for s in (store, memory):
            s.append(TENANT, LEGACY, later, now=NOW)
            s.fork(TENANT, LEGACY, version=8, new_id="child", name="c", now=NOW)
        for cid in (LEGACY, "child"):
            for query in QUERIES:
                got = store.rank_relevant(TENANT, cid, text=query, embedding=None, k=10)
                want = memory.rank_relevant(TENANT, cid, text=query, embedding=None, k=10)
                versions = [r.version for r in want.lexical]
                assert [r.version for r in got.lexical] == versions, (cid, query)
                assert [r.score for r in got.lexical] == pytest.approx(
                    [r.score for r in want.lexical], rel=1e-12
                )
                # Only v1 and v2 hold these, and the summary covers them.
                assert bool(got.lexical) is (query not in {"cobalt_blue", "fjörd 42"})
    finally:
        pool.close()
