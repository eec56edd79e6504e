"""Similarity search over Postgres at 100k x 1536 with a tenant filter: p50 and recall@10.

Data: 100,000 unit vectors of dimension 1536 with a low intrinsic dimension, as real
embeddings have (a random linear map of a 32-dimensional Gaussian, plus 10 % noise),
spread evenly over 5 tenants of 20 contexts each; every search is filtered to one tenant
(20 % of the vectors). Vectors are loaded with a binary COPY and the migration's HNSW
index (m 16, ef_construction 64) is rebuilt after the load, as a bulk import would.

Measured: PostgresStore.search(k=10) p50 (pgvector iterative index scan, relaxed order,
re-sorted; ef_search 300), against the exact search in SQL (a scan of the tenant's
vectors) measured in the same run as the baseline; recall@10 against the exact top 10
computed with numpy over the stored float32 vectors (it must be >= 0.95).
"""

from __future__ import annotations

import statistics
import time
import uuid

import numpy as np

from adapters.postgres import queries
from adapters.postgres.store import PostgresStore
from adapters.postgres.vectors import VectorParam
from bench._common import emit, log, p50_ms, size_label, sized
from bench._postgres import fresh_database, open_store

N = sized(100_000, 500)
DIM = 1536
LATENT = 32
NOISE = 0.1
TENANTS = 5
CONTEXTS_PER_TENANT = 20
QUERIES = sized(100, 5)
K = 10
SEED = 20260101

_STAGE = "CREATE UNLOGGED TABLE bench_vectors (context_id text, version int, embedding vector)"
_CONTEXTS = """
INSERT INTO contexts (tenant_id, id, name, policy, head_version, token_total, eligible_total,
                      created_at, updated_at)
SELECT %(t)s, %(c)s, 'search bench', '{}', %(n)s, %(n)s::bigint * 50, %(n)s::bigint * 50,
       now(), now()
"""
_ROWS = """
INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content, metadata,
    token_count, token_source, pinned, is_pin, eligible_before, embedding, created_at)
SELECT %(t)s, b.context_id, b.version, 'message', 'user', to_json('entry ' || b.version),
       '{}', 50, 'client', false, false, (b.version - 1)::bigint * 50,
       b.embedding::vector(1536), now()
FROM bench_vectors b WHERE b.context_id = ANY(%(cids)s)
"""


def vectors(rng: np.random.Generator, n: int, mix: np.ndarray) -> np.ndarray:
    """n unit vectors: a linear map of LATENT Gaussian factors, plus noise."""
    base = rng.standard_normal((n, LATENT), dtype=np.float32) @ mix
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noisy = base + NOISE * rng.standard_normal((n, DIM), dtype=np.float32) / np.sqrt(DIM)
    out: np.ndarray = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out.astype(np.float32)


def load(store: PostgresStore, data: np.ndarray) -> dict[str, list[tuple[str, int]]]:
    """Write the vectors; returns, per tenant, the (context, version) of each of its rows."""
    per_context = N // (TENANTS * CONTEXTS_PER_TENANT)
    owners: dict[str, list[tuple[str, int]]] = {}
    with store.pool.connection() as conn:
        indexdef = conn.execute(
            "SELECT pg_get_indexdef('context_versions_embedding'::regclass)"
        ).fetchone()
        assert indexdef is not None
        conn.execute("DROP INDEX context_versions_embedding")
        conn.execute(_STAGE)
        t0 = time.perf_counter()
        row = 0
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_vectors FROM STDIN WITH (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["text", "int4", "vector"])
            for t in range(TENANTS):
                tenant = f"bench-tenant-{t}"
                owners[tenant] = []
                for _ in range(CONTEXTS_PER_TENANT):
                    cid = str(uuid.uuid4())
                    for v in range(1, per_context + 1):
                        copy.write_row((cid, v, VectorParam(data[row].tolist())))
                        owners[tenant].append((cid, v))
                        row += 1
        log(f"search_postgres: copied {row} vectors in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        for tenant, rows in owners.items():
            cids = sorted({c for c, _ in rows})
            for cid in cids:
                conn.execute(_CONTEXTS, {"t": tenant, "c": cid, "n": per_context})
            conn.execute(_ROWS, {"t": tenant, "cids": cids})
        conn.execute("DROP TABLE bench_vectors")
        log(f"search_postgres: rows written in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '2GB'")
        conn.execute(indexdef[0])
        conn.execute("VACUUM ANALYZE contexts")
        conn.execute("VACUUM ANALYZE context_versions")
        log(f"search_postgres: HNSW index built in {time.perf_counter() - t0:.1f}s")
    return owners


def main() -> None:
    """Print search.postgres.p50.100k (vs exact in SQL) and search.postgres.recall10.100k."""
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    mix = rng.standard_normal((LATENT, DIM), dtype=np.float32)
    data = vectors(rng, N, mix)
    queries_ = vectors(rng, QUERIES, mix)
    with fresh_database(DIM) as url, open_store(url) as store:
        owners = load(store, data)
        tenant = "bench-tenant-0"
        mine = np.arange(len(owners[tenant]))  # tenant 0 holds the first rows
        ids = owners[tenant]
        recalls = []
        for q in queries_:
            hits = store.search(tenant, q.tolist(), k=K)
            exact = np.argsort(-(data[mine] @ q))[:K]
            truth = {ids[i] for i in exact}
            found = {(h.context_id, h.entry.version) for h in hits}
            recalls.append(len(truth & found) / K)
        recall = statistics.fmean(recalls)

        cycle = iter(range(10**9))

        def approximate() -> object:
            q = queries_[next(cycle) % QUERIES]
            return store.search(tenant, q.tolist(), k=K)

        def exact_sql() -> object:
            q = queries_[next(cycle) % QUERIES]
            params = {"tenant": tenant, "id": None, "q": VectorParam(q.tolist()), "k": K}
            with store.pool.connection() as conn:
                return conn.execute(queries.SEARCH_EXACT, params).fetchall()

        base = p50_ms(exact_sql, repeat=30, warmup=3)
        emit(
            f"search.postgres.exact.p50.{size_label(N)}",
            N,
            base,
            "ms",
            baseline=f"search.postgres.exact.p50.{size_label(N)}",
            baseline_value=base,
        )
        emit(
            f"search.postgres.p50.{size_label(N)}",
            N,
            p50_ms(approximate, repeat=200, warmup=20),
            "ms",
            baseline=f"search.postgres.exact.p50.{size_label(N)}",
            baseline_value=base,
        )
        emit(f"search.postgres.recall10.{size_label(N)}", N, recall, "ratio")
        assert recall >= 0.95, f"recall@10 {recall:.3f} is below 0.95"
    log(f"search_postgres: total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
