"""Nearest neighbours through the HNSW index, with the exact scan as the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

MAX_EF_SEARCH = 1000  # pgvector's bound
# Every indexed scan runs under these: sorts and sequential scans priced out, so the
# planner takes the index (it does not price detoasting every vector of an exact scan).
_SETTINGS = (
    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
    " set_config('hnsw.ef_search', %s, true),"
    " set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)"
)


def rows(
    cur: psycopg.Cursor[Any],
    indexed: str,
    exact: str,
    params: Mapping[str, Any],
    *,
    k: int,
    ef_search: int,
) -> list[tuple[Any, ...]]:
    """Rows of `indexed` (an HNSW iterative scan), or of `exact` when it finds < k.

    Runs in the caller's transaction (its tenant named), which the SET LOCALs need. Sorts
    and sequential scans are priced out so the planner takes the index; the exact query
    still answers when the filtered index scan comes up short.
    """
    if cur.connection.info.transaction_status is not psycopg.pq.TransactionStatus.INTRANS:
        raise RuntimeError("nearest.rows runs inside a transaction")
    send(cur, indexed, params, k=k, ef_search=ef_search)
    return finish(cur, exact, params, k=k, found=cur.fetchall())


def send(
    cur: psycopg.Cursor[Any],
    indexed: str,
    params: Mapping[str, Any],
    *,
    k: int,
    ef_search: int,
) -> None:
    """The settings and the indexed scan, sent on cur (into a pipeline, when one is open);
    its rows are then on cur. The settings hold for the rest of the transaction (the
    explicit one, or a pipeline's implicit one)."""
    # The candidate list must hold k rows for the first pass to be a good one.
    ef = min(max(ef_search, k), MAX_EF_SEARCH)
    # set_config(..., true), not SET LOCAL: it also holds in the implicit transaction of
    # a pipeline (SET LOCAL outside an explicit one only warns).
    cur.connection.execute(_SETTINGS, (str(int(ef)),))
    # Prepared as the connection prepares (pool.connection_kwargs): a cached plan keeps
    # the planner settings it was made under, which are always _SETTINGS' here (an
    # indexed statement runs only through send). ef_search and the iterative scan are
    # read when the scan runs, not when it is planned.
    cur.execute(indexed, params)


def finish(
    cur: psycopg.Cursor[Any],
    exact: str,
    params: Mapping[str, Any],
    *,
    k: int,
    found: list[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """The indexed scan's rows, or the exact query's when the scan found fewer than k."""
    if len(found) < k:
        found = cur.execute(exact, params, prepare=False).fetchall()
    return found
