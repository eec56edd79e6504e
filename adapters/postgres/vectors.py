"""pgvector's `vector` type on psycopg, without the pgvector package (nor numpy, which its
psycopg module imports whenever it is installed): the parameter and its dumpers, the
loaders, and the one type lookup per new connection (pgvector's register_vector makes four:
vector, bit, halfvec, sparsevec, of which only `vector` is used here).

The formats are pgvector's own (src/vector.c, vector_send/vector_out): binary is a 2-byte
dimension, 2 unused bytes and big-endian float4s; text is `[f1,f2,...]`.

Embeddings read back from PostgreSQL are read and decoded only when someone looks at them.

A window or a ranking reads hundreds of entries and never their vectors (the wire shows
`has_embedding`). Reading them cost what the rest of the row did many times over: 1536
float4s are 6 KB, stored out of line (TOAST), and 500 rows read with them took 11.6 ms
against 0.9 without. So entries are read with whether they have a vector, and an
UnreadVector in its place: the first look at any vector of one read fetches all of that
read's vectors in one statement (VectorReads). A vector fetched, or read directly (a
StoredVector), keeps pgvector's bytes and becomes floats on first use (decoding cost about
6 us a row at 64 dimensions). Both equal, and hash as, the tuple of their floats, so an
entry read from PostgreSQL still equals the same entry from the memory store.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo


def _float4s(values: Sequence[float]) -> array[float]:
    # float4, as pgvector stores it (and as its Vector rounds a list).
    return array("f", values)


def binary_vector(values: Sequence[float]) -> bytes:
    """The vector in pgvector's binary format (what vector_recv reads)."""
    floats = _float4s(values)
    if sys.byteorder != "big":
        floats.byteswap()
    return struct.pack(">HH", len(floats), 0) + floats.tobytes()


def text_vector(values: Sequence[float]) -> str:
    """The vector in pgvector's text format (what vector_in reads), each float4 written
    as Python writes the float it widens to."""
    return "[" + ",".join([str(v) for v in _float4s(values)]) + "]"


class VectorParam:
    """An embedding as a query parameter: dumped as a `vector` (binary where the query
    allows it, as pgvector's Vector is)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[float]) -> None:
        self.values = values

    def __repr__(self) -> str:
        return f"VectorParam({list(self.values)!r})"


class _TextVectorDumper(Dumper):
    format = Format.TEXT

    def dump(self, obj: VectorParam) -> bytes:
        return text_vector(obj.values).encode()


class _BinaryVectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: VectorParam) -> bytes:
        return binary_vector(obj.values)


class _TextVectorLoader(Loader):
    format = Format.TEXT

    def load(self, data: Any) -> tuple[float, ...]:
        # The server writes each float4 as its shortest text; widened through float4 again,
        # as pgvector's Vector reads it, it equals the same vector read as binary.
        text = bytes(data).decode()
        return tuple(_float4s([float(v) for v in text[1:-1].split(",")]).tolist())


class _Floats(Sequence[float]):
    """A vector that becomes a tuple of floats on first use, equal to and hashing as it."""

    __slots__ = ()

    def floats(self) -> tuple[float, ...]:
        raise NotImplementedError

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
        if isinstance(other, (_Floats, tuple)):
            return self.floats() == (other.floats() if isinstance(other, _Floats) else other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.floats())

    def __repr__(self) -> str:
        return repr(self.floats())

    def __reduce__(self) -> tuple[type[tuple[float, ...]], tuple[tuple[float, ...]]]:
        # Pickled (or deep-copied) as its floats: a copy outlives the read it came from.
        return (tuple, (self.floats(),))


class StoredVector(_Floats):
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

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredVector) and self._raw == other._raw:
            return True
        return super().__eq__(other)

    __hash__ = _Floats.__hash__  # defining __eq__ would otherwise drop it


# A row's vector, by the segment that holds the row (its context_id) and its version.
VectorKey = tuple[str, int]


class VectorReads:
    """The vectors of one read's entries, fetched together on the first look at any.

    `fetch` reads the vectors of the keys asked (those it no longer finds are left out:
    the entry was erased, or its vector removed, since it was read)."""

    __slots__ = ("_fetch", "_found", "_wanted")

    def __init__(self, fetch: Callable[[Sequence[VectorKey]], Mapping[VectorKey, Any]]) -> None:
        self._fetch = fetch
        self._wanted: list[VectorKey] = []
        self._found: dict[VectorKey, tuple[float, ...] | None] = {}  # None: gone

    def later(self, src: str, version: int) -> UnreadVector:
        """The vector of the row at `version` of segment `src`, to be read when looked at."""
        key = (src, version)
        self._wanted.append(key)
        return UnreadVector(self, key)

    def floats(self, key: VectorKey) -> tuple[float, ...]:
        """The vector at `key` (every wanted one fetched, in one statement, the first
        time); LookupError when it is no longer stored."""
        if key not in self._found:
            todo = [k for k in self._wanted if k not in self._found]
            found = self._fetch(todo)
            self._found.update((k, _as_tuple(found[k]) if k in found else None) for k in todo)
        floats = self._found[key]
        if floats is None:
            raise LookupError(f"the vector of v{key[1]} is no longer stored (erased since read)")
        return floats


class UnreadVector(_Floats):
    """An entry's vector not read with it: read with its read's others on first use."""

    __slots__ = ("_key", "_reads")

    def __init__(self, reads: VectorReads, key: VectorKey) -> None:
        self._reads = reads
        self._key = key

    def floats(self) -> tuple[float, ...]:
        """The vector's components (LookupError when no longer stored)."""
        return self._reads.floats(self._key)


class _BinaryVectorLoader(Loader):
    format = Format.BINARY

    def load(self, data: Any) -> StoredVector:
        return StoredVector(bytes(data))


def register_vectors(conn: psycopg.Connection[Any]) -> None:
    """`vector` on `conn`: VectorParam dumps as one (and a list of them as `vector[]`);
    binary columns load as StoredVector, text ones as tuples of floats. One catalogue
    round trip; ProgrammingError when the database has no pgvector extension."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise psycopg.ProgrammingError("vector type not found in the database")
    info.register(conn)  # the type and its array, by name and oid
    adapters = conn.adapters
    # Text first, then binary: the last one registered is what a %s placeholder uses.
    for dumper in (_TextVectorDumper, _BinaryVectorDumper):
        adapters.register_dumper(VectorParam, type("", (dumper,), {"oid": info.oid}))
    adapters.register_loader(info.oid, _TextVectorLoader)
    adapters.register_loader(info.oid, _BinaryVectorLoader)


def _as_tuple(value: Any) -> tuple[float, ...]:
    """A vector column's value as a tuple of floats, whatever loaded it."""
    if isinstance(value, _Floats):
        return value.floats()
    return value if isinstance(value, tuple) else tuple(float(x) for x in value)
