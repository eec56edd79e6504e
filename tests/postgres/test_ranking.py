"""rank_relevant on long histories: the HNSW path ranks as the exact scan, BM25 in SQL
scores as the memory adapter's, and both keep to their indexes."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.store import MemoryStore
from adapters.postgres import queries
from adapters.postgres.store import PostgresStore
from domain.model import Context, EntryDraft, EntryKind, Role, VersionRange
from entrypoints.engine import Store as ContextStore
from tests.postgres.conftest import Loader, explain
from tests.postgres_fixtures import StoreFactory

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


def _context(store: ContextStore, tenant: str, cid: str | None = None) -> str:
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
        assert [r.entry.version for r in got] == [r.entry.version for r in want]
        assert [r.score for r in got] == pytest.approx([r.score for r in want])
        assert all(r.entry.version > 50 and not r.entry.pinned for r in got)


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
    assert [r.entry.version for r in got] == [r.entry.version for r in want]
    assert sorted(r.entry.version for r in got) == [2, 4, 6, 8]


def test_the_semantic_ranking_walks_the_hnsw_index(indexed: PostgresStore, tenant: str) -> None:
    params = {
        "tenant": tenant,
        "id": "x",
        "through": 0,
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


def test_a_selective_lexical_query_reads_the_gin_index(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    cid = load_history(tenant, 20_000)
    params = {
        "tenant": tenant,
        "id": cid,
        "through": 0,
        "k": 200,
        "query": '"12345"',
        "t0": '"12345"',
        "n": 20_000,
    }
    with postgres_store.pool.connection() as conn:
        plan = explain(conn, queries.rank_lexical_bm25(1), params)
    assert "context_versions_search" in plan, plan
    assert "Seq Scan on context_versions" not in plan, plan
    got = postgres_store.rank_relevant(tenant, cid, text="12345", embedding=None, k=5)
    assert [r.entry.version for r in got.lexical] == [12345]


VOCAB = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "granite", "harbor"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(VOCAB), unique=True, max_size=6), min_size=1, max_size=20
    ),
    query=st.lists(st.sampled_from(VOCAB), unique=True, min_size=1, max_size=4),
)
def test_bm25_scores_as_the_memory_adapter(
    postgres_store: PostgresStore, docs: list[list[str]], query: list[str]
) -> None:
    # Every entry holds "common" and so does the query: all entries match, and Postgres's
    # shortcuts (length = distinct terms, average over matching entries) are then exact.
    tenant = f"t-{uuid.uuid4()}"
    drafts = [
        EntryDraft(role=Role.USER, content=" ".join(["common", *words]), token_count=1)
        for words in docs
    ]
    memory = MemoryStore()
    got = {}
    for store in (memory, postgres_store):
        cid = _context(store, tenant, "bm25")
        store.append(tenant, cid, drafts, now=NOW)
        ranked = store.rank_relevant(
            tenant, cid, text=" ".join(["common", *query]), embedding=None, k=50
        ).lexical
        got[type(store).__name__] = {r.entry.version: r.score for r in ranked}
    mem, pg = got["MemoryStore"], got["PostgresStore"]
    assert set(pg) == set(mem) == set(range(1, len(docs) + 1))
    assert [pg[v] for v in sorted(pg)] == pytest.approx([mem[v] for v in sorted(mem)])


def test_a_query_of_many_terms_still_ranks(postgres_store: PostgresStore, tenant: str) -> None:
    # Past BM25_MAX_TERMS distinct terms the query is ranked by ts_rank_cd instead.
    cid = _context(postgres_store, tenant)
    texts = ["granite harbor", "granite granite", "nothing here", "harbor"]
    drafts = [EntryDraft(role=Role.USER, content=t, token_count=1) for t in texts]
    postgres_store.append(tenant, cid, drafts, now=NOW)
    fillers = [f"w{i}" for i in range(queries.BM25_MAX_TERMS)]
    text = " ".join([*fillers, "granite", "harbor"])
    got = postgres_store.rank_relevant(tenant, cid, text=text, embedding=None, k=10).lexical
    assert [r.entry.version for r in got] == [2, 1, 4]
