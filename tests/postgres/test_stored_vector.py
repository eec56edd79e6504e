"""pgvector's `vector` without the pgvector package: parameters dump exactly as pgvector's
Vector does, embeddings read from PostgreSQL are fetched and decoded only when looked at
and still equal the floats written, and nothing on the PostgreSQL path imports pgvector or
numpy."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import attrs
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pgvector import Vector

from adapters.postgres.store import PostgresStore
from adapters.postgres.vectors import (
    StoredVector,
    UnreadVector,
    VectorParam,
    binary_vector,
    text_vector,
)
from domain.model import Context, EntryDraft, Role
from migrations import DEFAULT_DIMENSION

FLOAT4 = st.floats(width=32, allow_nan=False, allow_infinity=False)
ROOT = Path(__file__).resolve().parents[2]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1,
                max_size=40).filter(lambda vs: all(abs(v) < 3e38 for v in vs)))  # fmt: skip
def test_parameters_dump_as_pgvectors_vector_does(values: list[float]) -> None:
    # pgvector (the Python package) is kept for the tests only: this is its format.
    assert binary_vector(values) == Vector(values).to_binary()
    assert text_vector(values) == Vector(values).to_text()
    assert StoredVector(binary_vector(values)) == tuple(Vector(values).to_list())


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


def _remove_vectors(store: PostgresStore, tenant: str, cid: str) -> None:
    # Behind the store's back, as a retention run or an erasure would between two reads.
    with store.pool.connection() as conn:
        conn.execute("SELECT set_config('kata.tenant_id', %s, false)", (tenant,))
        conn.execute(
            "UPDATE context_versions SET embedding = NULL WHERE tenant_id = %s AND context_id = %s",
            (tenant, cid),
        )


def test_rows_are_read_without_their_vectors_until_one_is_looked_at(
    postgres_store: PostgresStore,
) -> None:
    tenant, cid = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    postgres_store.create_context(
        Context(id=cid, tenant_id=tenant, name="v", created_at=now, updated_at=now)
    )
    vectors = [tuple(float((i + n) % 7) / 7 for i in range(DEFAULT_DIMENSION)) for n in range(3)]
    drafts = [
        EntryDraft(role=Role.USER, content=f"vector {n}", token_count=2, embedding=v)
        for n, v in enumerate(vectors)
    ]
    drafts.append(EntryDraft(role=Role.USER, content="none", token_count=2))
    postgres_store.append(tenant, cid, drafts, now=now)

    # Looked at once, every vector of the read comes (one statement); none was read before.
    first = postgres_store.window_candidates(tenant, cid, tail_tokens=100).tail
    unread = postgres_store.read_versions(tenant, cid, [1, 2, 3, 4])
    assert [isinstance(e.embedding, UnreadVector) for e in first] == [True, True, True, False]
    assert first[0].embedding == pytest.approx(vectors[0], rel=1e-6)
    _remove_vectors(postgres_store, tenant, cid)
    assert [e.embedding for e in first[1:]] == [
        pytest.approx(vectors[1], rel=1e-6), pytest.approx(vectors[2], rel=1e-6), None
    ]
    # The read whose vectors nobody looked at finds them gone: it never read them.
    assert unread[0].embedding is not None  # it had one when it was read
    with pytest.raises(LookupError, match="no longer stored"):
        list(unread[0].embedding)
    # An entry with its vector read equals the tuple's; pickled, it keeps the floats.
    assert first[0] == attrs.evolve(first[0], embedding=tuple(first[0].embedding))
    assert pickle.loads(pickle.dumps(first[1])).embedding == tuple(first[1].embedding)


def test_the_server_reads_and_writes_vectors_in_both_formats(postgres_store: PostgresStore) -> None:
    values = [0.5, -1.25, 3.0e-7, 12345.678]
    floats = tuple(Vector(values).to_list())  # float4-rounded
    with postgres_store.pool.connection() as conn:
        # %t and %b force each dumper; the server's text of each is pgvector's own.
        text, binary = conn.execute(
            "SELECT %t::vector::text, %b::vector::text", (VectorParam(values),) * 2
        ).fetchone()
        assert (
            text
            == binary
            == conn.execute("SELECT %s::vector::text", (Vector(values).to_text(),)).fetchone()[0]
        )
        # A list is a vector[]; text results load as tuples, binary ones as StoredVector.
        row = conn.execute(
            "SELECT (%s::vector[])[2], (%s::vector[])[1]", ([None, VectorParam(values)],) * 2
        ).fetchone()
        assert row == (floats, None) and isinstance(row[0], tuple)
        with conn.cursor(binary=True) as cur:
            [loaded] = cur.execute("SELECT %s::vector", (VectorParam(values),)).fetchone()
        assert isinstance(loaded, StoredVector) and loaded == floats


def test_the_postgres_path_imports_neither_pgvector_nor_numpy(postgres_app_url: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys, uuid
        from datetime import UTC, datetime
        from adapters.postgres.pool import build_pool
        from adapters.postgres.store import PostgresStore
        from domain.model import Context, EntryDraft, Role
        from migrations import DEFAULT_DIMENSION
        vector = tuple(1.0 if i == 0 else 0.0 for i in range(DEFAULT_DIMENSION))
        now = datetime(2026, 1, 1, tzinfo=UTC)
        tenant, cid = f"t-{{uuid.uuid4()}}", str(uuid.uuid4())
        with build_pool({postgres_app_url!r}) as pool:
            store = PostgresStore(pool)
            store.create_context(Context(id=cid, tenant_id=tenant, name="v",
                                         created_at=now, updated_at=now))
            store.append(tenant, cid, [EntryDraft(role=Role.USER, content="v", token_count=1,
                                                  embedding=vector)], now=now)
            [hit] = store.search(tenant, vector, k=1)
            assert hit.entry.embedding == vector, hit
        print(sorted(m for m in ("pgvector", "numpy") if m in sys.modules))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_a_vector_is_stored_in_its_row(postgres_store: PostgresStore, postgres_url: str) -> None:
    # A ranking's exact scan reads every vector of a context: out of line (pgvector's
    # EXTERNAL), each was fetched through the TOAST index (migration 014).
    tenant, cid = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    postgres_store.create_context(
        Context(id=cid, tenant_id=tenant, name="v", created_at=now, updated_at=now)
    )
    vector = tuple(float(i % 11) / 11 for i in range(DEFAULT_DIMENSION))
    postgres_store.append(
        tenant, cid, [EntryDraft(role=Role.USER, content="v", token_count=1, embedding=vector)],
        now=now,
    )  # fmt: skip
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        storage = conn.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'context_versions'::regclass AND attname = 'embedding'"
        ).fetchone()
        assert storage == ("m",)
        if conn.info.server_version >= 170000:  # pg_column_toast_chunk_id is PostgreSQL 17's
            [(chunk,)] = conn.execute(
                "SELECT pg_column_toast_chunk_id(embedding) FROM context_versions"
                " WHERE tenant_id = %s AND context_id = %s",
                (tenant, cid),
            ).fetchall()
            assert chunk is None
    [entry] = postgres_store.read_versions(tenant, cid, [1])
    assert entry.embedding == pytest.approx(vector, rel=1e-6)
