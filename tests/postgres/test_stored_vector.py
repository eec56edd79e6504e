"""Embeddings read from PostgreSQL decode lazily and still equal the floats written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pgvector import Vector

from adapters.postgres.store import PostgresStore
from adapters.postgres.vectors import StoredVector
from domain.model import Context, EntryDraft, Role
from migrations import DEFAULT_DIMENSION

FLOAT4 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(st.lists(FLOAT4, min_size=1, max_size=40))
def test_a_stored_vector_is_the_tuple_of_its_floats(values: list[float]) -> None:
    stored = StoredVector(Vector(values).to_binary())
    floats = tuple(values)
    assert stored == floats and floats == stored
    assert hash(stored) == hash(floats)
    assert len(stored) == len(floats) and list(stored) == values
    assert stored[0] == floats[0] and tuple(stored[1:]) == floats[1:]
    assert stored == StoredVector(Vector(values).to_binary())
    assert stored != (*floats, 1.0)
    assert repr(stored) == repr(floats)


def test_bytes_that_are_no_vector_are_refused_when_read() -> None:
    broken = StoredVector(b"\x00\x02\x00\x00\x00\x00")  # two floats announced, none sent
    with pytest.raises(ValueError):
        broken.floats()


def test_rows_read_back_carry_their_vectors_undecoded(postgres_store: PostgresStore) -> None:
    tenant, cid = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    postgres_store.create_context(
        Context(id=cid, tenant_id=tenant, name="v", created_at=now, updated_at=now)
    )
    vector = tuple(float(i % 7) / 7 for i in range(DEFAULT_DIMENSION))
    draft = EntryDraft(role=Role.USER, content="a vector", token_count=2, embedding=vector)
    postgres_store.append(tenant, cid, [draft], now=now)
    [entry] = postgres_store.window_candidates(tenant, cid, tail_tokens=100).tail
    # The pool loads binary vectors lazily (adapters/postgres/pool.configure).
    assert isinstance(entry.embedding, StoredVector)
    assert entry.embedding == pytest.approx(vector, rel=1e-6)
