"""Embeddings read from PostgreSQL decode lazily and still equal the floats written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pgvector import Vector

from adapters.postgres.vectors import StoredVector

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
