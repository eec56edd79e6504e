"""Embeddings read back from PostgreSQL, decoded only when someone looks at them.

A window or a ranking reads hundreds of entries and never their vectors (the wire shows
`has_embedding`), yet decoding pgvector's binary into floats cost about 6 us a row at 64
dimensions and grows with the dimension. A StoredVector keeps the bytes and becomes the
floats on first use; it equals, and hashes as, the tuple of those floats, so an entry read
from PostgreSQL still equals the same entry from the memory store.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format


class StoredVector(Sequence[float]):
    """An embedding as pgvector's binary (2-byte dimension, 2 unused, big-endian float4s)."""

    __slots__ = ("_floats", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._floats: tuple[float, ...] | None = None

    def floats(self) -> tuple[float, ...]:
        """The vector's components as Python floats (decoded once)."""
        if self._floats is None:
            dim, unused = struct.unpack_from(">HH", self._raw)
            if unused != 0 or len(self._raw) != 4 + 4 * dim:
                raise ValueError("not a pgvector binary vector")
            values = array("f")
            values.frombytes(memoryview(self._raw)[4:])
            if sys.byteorder != "big":
                values.byteswap()
            self._floats = tuple(values.tolist())
        return self._floats

    def __len__(self) -> int:
        return len(self.floats())

    @overload
    def __getitem__(self, index: int) -> float: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...

    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        return self.floats()[index]

    def __iter__(self) -> Iterator[float]:
        return iter(self.floats())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredVector):
            return self._raw == other._raw or self.floats() == other.floats()
        if isinstance(other, tuple):
            return self.floats() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.floats())

    def __repr__(self) -> str:
        return repr(self.floats())


class _BinaryVectorLoader(Loader):
    format = Format.BINARY

    def load(self, data: Any) -> StoredVector:
        return StoredVector(bytes(data))


def register_stored_vectors(conn: psycopg.Connection[Any]) -> None:
    """Binary `vector` columns load as StoredVector on `conn` (after pgvector's own
    registration, which it overrides for the binary format only, and whose type lookup it
    reuses: no second round trip per new connection)."""
    info = conn.adapters.types.get("vector")
    if info is not None:
        conn.adapters.register_loader(info.oid, _BinaryVectorLoader)


def as_floats(value: Any) -> Sequence[float]:
    """A vector column's value as a sequence of floats, whatever loaded it."""
    if isinstance(value, StoredVector):
        return value
    if hasattr(value, "to_list"):
        # pgvector's list is already Python floats: converting each again cost 3x more.
        return tuple(value.to_list())
    return tuple(float(x) for x in value)
