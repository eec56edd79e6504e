"""rank_relevant on long histories: the HNSW path ranks as the exact scan, BM25 in SQL
scores as domain/lexical.py defines it, and both keep to their indexes."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import make_conninfo

from adapters.postgres import lexical as bm25
from adapters.postgres import queries
from adapters.postgres.pool import PREPARE_AFTER, build_pool
from adapters.postgres.store import PostgresStore
from domain import lexical
from domain.model import Context, EntryDraft, EntryKind, Role, VersionRange
from domain.relevance import RankQuery
from entrypoints.engine import Store
from tests.postgres.conftest import Loader, explain
from tests.postgres_fixtures import StoreFactory
from tests.support.bm25 import model_ranking

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DIM = 16


@pytest.fixture
def indexed(postgres_stores: StoreFactory) -> PostgresStore:
    """A store that ranks every context through the HNSW index (no exact shortcut)."""
    return PostgresStore(postgres_stores(DIM)[0].pool, exact_below=0)


@pytest.fixture
def exact(postgres_stores: StoreFactory) -> PostgresStore:
    """A store over the same database that always ranks by the exact scan."""
    return PostgresStore(postgres_stores(DIM)[0].pool, exact_below=2**31)


def _context(store: Store, tenant: str, cid: str | None = None) -> str:
    cid = cid or str(uuid.uuid4())
    store.create_context(
        Context(id=cid, tenant_id=tenant, name="c", created_at=NOW, updated_at=NOW)
    )
    return cid


def _vector(rng: random.Random, towards: tuple[float, ...] | None = None) -> tuple[float, ...]:
    noise = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
    if towards is not None:
        noise = [3 * t + n for t, n in zip(towards, noise, strict=True)]
    return tuple(noise)


def test_the_index_ranks_as_the_exact_scan(
    indexed: PostgresStore, exact: PostgresStore, tenant: str
) -> None:
    rng = random.Random(5)
    probe = _vector(rng)
    # Another context of the tenant crowds the index with rows nearer the probe.
    crowd = _context(indexed, tenant)
    indexed.append(
        tenant,
        crowd,
        [
            EntryDraft(role=Role.USER, content="x", token_count=1, embedding=_vector(rng, probe))
            for _ in range(400)
        ],
        now=NOW,
    )
    cid = _context(indexed, tenant)
    drafts = [
        EntryDraft(
            role=Role.USER,
            content=f"e{i}",
            token_count=1,
            pinned=i % 10 == 0,
            embedding=_vector(rng, probe if i % 10 == 0 else None),
        )
        for i in range(300)
    ]
    indexed.append(tenant, cid, drafts, now=NOW)
    summary = EntryDraft(
        role=Role.SYSTEM,
        content="s",
        token_count=1,
        kind=EntryKind.SUMMARY,
        covers=VersionRange(first=1, last=50),
        embedding=probe,
    )
    indexed.record_compaction(tenant, cid, summary, expected_version=300, now=NOW)

    for k in (1, 10, 40):
        got = indexed.rank_relevant(tenant, cid, text=None, embedding=probe, k=k).semantic
        want = exact.rank_relevant(tenant, cid, text=None, embedding=probe, k=k).semantic
        assert [r.version for r in got] == [r.version for r in want]
        assert [r.score for r in got] == pytest.approx([r.score for r in want])
        read = {e.version: e for e in indexed.read_versions(tenant, cid, [r.version for r in got])}
        assert all(r.version > 50 and not read[r.version].pinned for r in got)
        assert [r.token_count for r in got] == [read[r.version].token_count for r in got]


def test_fewer_vectors_than_k_come_back_whole(
    indexed: PostgresStore, exact: PostgresStore, tenant: str
) -> None:
    rng = random.Random(6)
    cid = _context(indexed, tenant)
    drafts = [
        EntryDraft(
            role=Role.USER, content="e", token_count=1, embedding=_vector(rng) if i % 2 else None
        )
        for i in range(9)
    ]
    indexed.append(tenant, cid, drafts, now=NOW)
    probe = _vector(rng)
    got = indexed.rank_relevant(tenant, cid, text=None, embedding=probe, k=20).semantic
    want = exact.rank_relevant(tenant, cid, text=None, embedding=probe, k=20).semantic
    assert [r.version for r in got] == [r.version for r in want]
    assert sorted(r.version for r in got) == [2, 4, 6, 8]


def _notes(
    rng: random.Random, count: int, towards: tuple[float, ...] | None = None
) -> list[EntryDraft]:
    """`count` short notes on VOCAB's words, each with a vector (every 7th near `towards`)."""
    return [
        EntryDraft(
            role=Role.USER,
            content=f"{VOCAB[i % len(VOCAB)]} note {i}",
            token_count=1,
            embedding=_vector(rng, towards if i % 7 == 0 else None),
        )
        for i in range(count)
    ]


@contextlib.contextmanager
def _prepared_store(
    postgres_stores: StoreFactory, options: str | None = None
) -> Iterator[PostgresStore]:
    """An indexed store over one connection that prepares as `serve` runs the embedded
    server (statements prepared after a few runs), opened with `options`."""
    info = str(postgres_stores(DIM)[0].pool.conninfo)
    url = make_conninfo(info, options=options) if options else info
    with build_pool(url, max_size=1, prepare=True) as pool:
        pool.wait(timeout=30)
        yield PostgresStore(pool, exact_below=0)


@pytest.fixture
def prepared(postgres_stores: StoreFactory) -> Iterator[PostgresStore]:
    """The indexed store as `serve` runs the embedded server, every prepared statement
    planned generic, as PostgreSQL may choose."""
    with _prepared_store(postgres_stores, "-c plan_cache_mode=force_generic_plan") as store:
        yield store


def test_prepared_generic_plans_rank_as_the_unprepared_statements(
    prepared: PostgresStore, indexed: PostgresStore, exact: PostgresStore, tenant: str
) -> None:
    # The HNSW scan is planned with sorts and sequential scans priced out (nearest.send);
    # once prepared, its cached plan must still be the index's, and BM25's the same.
    rng = random.Random(7)
    probe = _vector(rng)
    cid = _context(indexed, tenant)
    indexed.append(tenant, cid, _notes(rng, 300, towards=probe), now=NOW)
    want = exact.rank_relevant(tenant, cid, text="amber fjord", embedding=probe, k=30)
    plain = indexed.rank_relevant(tenant, cid, text="amber fjord", embedding=probe, k=30)
    for _ in range(PREPARE_AFTER + 3):
        got = prepared.rank_relevant(tenant, cid, text="amber fjord", embedding=probe, k=30)
        assert [r.version for r in got.semantic] == [r.version for r in want.semantic]
        assert got.lexical == plain.lexical
    with prepared.pool.connection() as conn:
        names = conn.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    # The HNSW scan was prepared, so the loop above ran its cached plan.
    assert any("ORDER BY v.embedding <=> $" in text for (text,) in names), names


def test_the_query_windows_statements_run_on_generic_plans_once_prepared(
    postgres_stores: StoreFactory, indexed: PostgresStore, tenant: str
) -> None:
    # Left to choose, PostgreSQL may plan each execution anew with its values (2.5 ms of
    # bind per query window at 100k): the query window's statements ask for the generic
    # plans, which are the same plans (store._GENERIC_PLANS).
    rng = random.Random(8)
    cid = _context(indexed, tenant)
    indexed.append(tenant, cid, _notes(rng, 60), now=NOW)
    query = RankQuery(text="amber fjord", embedding=_vector(rng), k=10)
    with _prepared_store(postgres_stores) as store:
        for _ in range(PREPARE_AFTER + 3):
            store.ranked_candidates(tenant, cid, tail_tokens=20, query=query)
            store.read_versions(tenant, cid, [3, 5, 8])
        with store.pool.connection() as conn:
            plans = conn.execute(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            ).fetchall()
    ranking = {
        "window": [p for p in plans if "AS fills" in p[0]],
        "bm25": [p for p in plans if "lexical_postings" in p[0]],
        "semantic": [p for p in plans if "ORDER BY v.embedding <=> $" in p[0]],
        "read_versions": [p for p in plans if "= ANY($" in p[0]],
    }
    for name, prepared in ranking.items():
        assert prepared, (name, [p[0][:80] for p in plans])
        assert all(custom == 0 and generic >= 3 for _, generic, custom in prepared), (
            name, [(g, c) for _, g, c in prepared]
        )


def test_the_semantic_ranking_walks_the_hnsw_index(indexed: PostgresStore, tenant: str) -> None:
    params = {
        "tenant": tenant,
        "id": "x",
        "at": None,
        "through": 0,
        "summaries": True,
        "k": 200,
        "q": "[" + ",".join(["0.5"] * DIM) + "]",
    }
    with indexed.pool.connection() as conn, conn.transaction():
        # The settings _nearest applies before running the indexed query.
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_sort = off")
        plan = explain(conn, queries.RANK_SEMANTIC_INDEXED, params)
    assert "Index Scan using context_versions_embedding" in plan, plan


def test_a_lexical_query_reads_only_the_newest_holders_of_each_term(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    # "message" is held by all 20,000 entries: the ranking reads its df off two postings
    # and scores only its newest POSTINGS_PER_TERM holders, whatever the history's length.
    cid = load_history(tenant, 20_000)
    wanted = bm25.query_params("message 12345")
    assert wanted is not None
    params = {
        "tenant": tenant, "id": cid, "at": None, "through": 0, "summaries": True, "k": 200,
        **wanted,
    }
    with postgres_store.pool.connection() as conn, conn.transaction():
        # As the store runs it: as the app role, under row-level security, its tenant named.
        conn.execute("SELECT set_config('kata.tenant_id', %s, true)", (tenant,))
        plan = explain(conn, bm25.RANK_BM25, params)
        analyzed = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + bm25.RANK_BM25, params
        ).fetchone()
    assert "Seq Scan" not in plan, plan
    assert analyzed is not None
    read = sum(
        node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        for node in _nodes(analyzed[0][0]["Plan"])
        if node.get("Relation Name") == "lexical_postings"
    )
    # Per query term (and its carried form): at most per_term holders plus two df seeks.
    assert read <= 4 * (lexical.POSTINGS_PER_TERM + 2), read
    got = postgres_store.rank_relevant(tenant, cid, text="message 12345", embedding=None, k=5)
    assert got.lexical[0].version == 12345


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


VOCAB = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "granite", "harbor"]
DOC = st.lists(st.sampled_from(VOCAB), max_size=8)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[EntryDraft], int]:
    """Entries with repeated words, some pins, and how far a compaction reached."""
    drafts = [
        EntryDraft(
            role=draw(st.sampled_from([Role.USER, Role.ASSISTANT, Role.SYSTEM])),
            content=" ".join(words),
            token_count=1,
            pinned=draw(st.booleans()) and draw(st.booleans()),
        )
        for words in draw(st.lists(DOC, min_size=1, max_size=20))
    ]
    return drafts, draw(st.integers(0, len(drafts)))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=histories(),
    query=st.lists(st.sampled_from([*VOCAB, "absent"]), min_size=1, max_size=5),
    k=st.integers(1, 25),
)
def test_bm25_in_sql_scores_as_the_domain_defines_it(
    postgres_store: PostgresStore, history: tuple[list[EntryDraft], int], query: list[str], k: int
) -> None:
    drafts, through = history
    tenant = f"t-{uuid.uuid4()}"
    cid = _context(postgres_store, tenant)
    postgres_store.append(tenant, cid, drafts, now=NOW)
    if through:
        summary = EntryDraft(
            role=Role.SYSTEM,
            content="amber summary",
            token_count=1,
            kind=EntryKind.SUMMARY,
            covers=VersionRange(first=1, last=through),
        )
        postgres_store.record_compaction(
            tenant, cid, summary, expected_version=len(drafts), now=NOW
        )
    entries = postgres_store.read_entries(tenant, cid, limit=100).items
    text = " ".join(query)
    got = postgres_store.rank_relevant(tenant, cid, text=text, embedding=None, k=k).lexical
    want = model_ranking(entries, compacted_through=through, text=text, k=k)
    assert [r.version for r in got] == [v for v, _ in want]
    assert [r.score for r in got] == pytest.approx([s for _, s in want], rel=1e-12)


def test_a_query_of_many_terms_ranks_by_the_same_formula(
    postgres_store: PostgresStore, tenant: str
) -> None:
    cid = _context(postgres_store, tenant)
    texts = ["granite harbor", "granite granite", "nothing here", "harbor"]
    drafts = [EntryDraft(role=Role.USER, content=t, token_count=1) for t in texts]
    postgres_store.append(tenant, cid, drafts, now=NOW)
    text = " ".join([*(f"w{i}" for i in range(40)), "granite", "harbor"])
    got = postgres_store.rank_relevant(tenant, cid, text=text, embedding=None, k=10).lexical
    entries = postgres_store.read_entries(tenant, cid).items
    want = model_ranking(entries, compacted_through=0, text=text, k=10)
    assert [r.version for r in got] == [v for v, _ in want] == [1, 2, 4]
    assert [r.score for r in got] == pytest.approx([s for _, s in want], rel=1e-12)


def test_reading_versions_seeks_within_the_context(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    # Other contexts of the tenant cost a version read nothing: each segment's versions
    # are seeks under (tenant, context), never a skip over every context of the tenant.
    others = [load_history(tenant, 20_000) for _ in range(3)]
    cid = load_history(tenant, 20_000)
    params = {"tenant": tenant, "id": cid, "at": None, "versions": [5, 6, 7, 1500]}
    with postgres_store.pool.connection() as conn, conn.transaction():
        conn.execute("SELECT set_config('kata.tenant_id', %s, true)", (tenant,))
        plan = explain(conn, queries.READ_VERSIONS, params)
    scans = [line for line in plan.splitlines() if "Index Cond" in line and "version = ANY" in line]
    assert scans and all("context_id = s.src" in line for line in scans), plan
    got = postgres_store.read_versions(tenant, cid, [5, 6, 7, 1500, 99_999])
    assert [e.version for e in got] == [5, 6, 7, 1500]
    assert postgres_store.read_versions(tenant, others[0], [3])[0].content == "message 3"
