"""Postgres-only behaviour: races on one key, text PostgreSQL cannot hold, filtered HNSW."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime

import pytest

from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from domain.errors import InvalidInput
from domain.model import Context, EntryDraft, Role
from migrations import DEFAULT_DIMENSION

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _context(store: PostgresStore, tenant: str) -> str:
    cid = str(uuid.uuid4())
    store.create_context(
        Context(id=cid, tenant_id=tenant, name="c", created_at=NOW, updated_at=NOW)
    )
    return cid


def _draft(text: str = "hi", **kw: object) -> EntryDraft:
    return EntryDraft(role=Role.USER, content=text, token_count=5, **kw)  # type: ignore[arg-type]


def test_racing_retries_of_one_key_write_once(postgres_store: PostgresStore, tenant: str) -> None:
    cid = _context(postgres_store, tenant)
    barrier = threading.Barrier(6)
    results = []

    def retry() -> None:
        barrier.wait()
        results.append(
            postgres_store.append(
                tenant, cid, [_draft(), _draft()], now=NOW, idempotency_key="k", fingerprint="f"
            )
        )

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert sum(not r.replayed for r in results) == 1
    assert {(r.first_version, r.last_version) for r in results} == {(1, 2)}
    assert postgres_store.get_context(tenant, cid).head_version == 2


@pytest.mark.parametrize(
    "draft",
    [
        _draft("nul \x00 inside"),
        _draft("lone \ud800 surrogate"),
        _draft("ok", name="\udfff"),
    ],
    ids=["nul", "surrogate", "name-surrogate"],
)
def test_text_postgres_cannot_store_is_invalid_input_and_writes_nothing(
    postgres_store: PostgresStore, tenant: str, draft: EntryDraft
) -> None:
    cid = _context(postgres_store, tenant)
    with pytest.raises(InvalidInput):
        postgres_store.append(tenant, cid, [_draft("fine"), draft], now=NOW)
    assert postgres_store.get_context(tenant, cid).head_version == 0
    postgres_store.append(tenant, cid, [_draft("fine")], now=NOW)
    assert postgres_store.get_context(tenant, cid).head_version == 1


def test_a_small_tenant_gets_k_hits_among_many_vectors(postgres_store: PostgresStore) -> None:
    rng = random.Random(7)

    def vector() -> tuple[float, ...]:
        return tuple(rng.uniform(-1, 1) for _ in range(DEFAULT_DIMENSION))

    big, small = f"t-{uuid.uuid4()}", f"t-{uuid.uuid4()}"
    big_cid = _context(postgres_store, big)
    for _ in range(6):
        postgres_store.append(
            big, big_cid, [_draft(embedding=vector()) for _ in range(100)], now=NOW
        )
    small_cid = _context(postgres_store, small)
    # A tenant's entries are about its own things: near one another, apart from the big
    # tenant's. (Uniform random 1536-d vectors are all nearly orthogonal, HNSW's worst
    # case: with other tests' vectors in the shared index its walk sometimes missed an
    # exact match there, which no real embedding space looks like.)
    centre = vector()
    mine = [tuple(c + 0.3 * x for c, x in zip(centre, vector(), strict=True)) for _ in range(12)]
    postgres_store.append(small, small_cid, [_draft(embedding=v) for v in mine], now=NOW)
    hits = postgres_store.search(small, mine[3], k=10)
    assert len(hits) == 10
    assert all(h.context_id == small_cid for h in hits)
    assert hits[0].entry.version == 4 and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    postgres_store.delete_context(small, small_cid, now=NOW)
    assert postgres_store.search(small, mine[3], k=10) == ()


def test_a_pool_is_built_closed_and_opened_by_its_owner(postgres_url: str) -> None:
    pool = build_pool(postgres_url)
    assert pool.closed
    with pool, pool.connection() as conn:
        row = conn.execute("SELECT '[1,2]'::vector").fetchone()
    assert row is not None and row[0] == (1.0, 2.0)  # the pool's connections speak vector
    assert pool.closed


def test_sessions_speak_utc_so_read_timestamps_need_no_conversion(
    postgres_store: PostgresStore, tenant: str
) -> None:
    # Whatever the server's own zone (the embedded one says Etc/UTC), pooled sessions are
    # in UTC: timestamps come back in datetime.UTC itself, at the instant written.
    cid = _context(postgres_store, tenant)
    written = datetime(2026, 3, 29, 1, 30, 15, 250, tzinfo=UTC)
    postgres_store.append(tenant, cid, [_draft("a"), _draft("b")], now=written)
    with postgres_store.pool.connection() as conn:
        assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)
    window = postgres_store.window_candidates(tenant, cid, tail_tokens=100)
    assert [e.created_at for e in window.tail] == [written, written]
    assert all(e.created_at.tzinfo is UTC for e in window.tail)
