"""Nearest neighbours through the HNSW index, with the exact scan as the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

MAX_EF_SEARCH = 1000  # pgvector's bound


def rows(
    cur: psycopg.Cursor[Any],
    indexed: str,
    exact: str,
    params: Mapping[str, Any],
    *,
    k: int,
    steer: bool,
    ef_search: int,
) -> list[tuple[Any, ...]]:
    """Rows of `indexed` (an HNSW iterative scan), or of `exact` when it finds < k.

    Runs in the caller's transaction (its tenant named), which the SET LOCALs need. With
    `steer`, sorts and sequential scans are priced out so the planner takes the index;
    the exact query still answers when the filtered index scan comes up short.
    """
    if cur.connection.info.transaction_status is not psycopg.pq.TransactionStatus.INTRANS:
        raise RuntimeError("nearest.rows runs inside a transaction")
    # The candidate list must hold k rows for the first pass to be a good one.
    ef = min(max(ef_search, k), MAX_EF_SEARCH)
    cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    cur.execute(f"SET LOCAL hnsw.ef_search = {int(ef)}")
    if steer:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
    # Never prepared: a cached generic plan would keep the settings it was made
    # under, and the same statement runs steered and not.
    found: list[tuple[Any, ...]] = cur.execute(indexed, params, prepare=False).fetchall()
    if len(found) < k:
        found = cur.execute(exact, params, prepare=False).fetchall()
    return found
