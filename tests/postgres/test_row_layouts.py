"""The store reads the columns after an entry's by name: each statement's columns are
where queries.py says they are, so a reordered select list fails here, not in a window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from psycopg.rows import tuple_row

from adapters.postgres import lexical as bm25
from adapters.postgres import queries
from adapters.postgres.rows import ENTRY_COLUMNS, ENTRY_WIDTH, vector_param
from adapters.postgres.store import PostgresStore
from tests.contract.support import DIM

ENTRY_NAMES = [c.split(" AS ")[-1].strip() for c in ENTRY_COLUMNS.split(",")]
Q = vector_param([1.0] + [0.0] * (DIM - 1))
BASE: dict[str, Any] = {
    "tenant": "nobody", "id": "00000000-0000-4000-8000-000000000000", "at": None,
}
STATEMENTS = {
    "WINDOW": (queries.WINDOW, queries.WINDOW_AT, {"tail": 10, "summaries": True}),
    "WINDOW_THEN": (queries.WINDOW_THEN, queries.WINDOW_AT, {"tail": 10, "summaries": True}),
    "READ_ENTRIES": (
        queries.READ_ENTRIES,
        queries.READ_ENTRIES_AT,
        {"after": 0, "at": None, "limit": 10},
    ),
    "SEARCH": (queries.SEARCH, queries.HIT_AT, {"k": 5, "q": Q}),
    "SEARCH_EXACT": (queries.SEARCH_EXACT, queries.HIT_AT, {"k": 5, "q": Q}),
    "SEARCH_CONTEXT": (queries.SEARCH_CONTEXT, queries.HIT_AT, {"k": 5, "q": Q}),
    "SEARCH_CONTEXT_EXACT": (queries.SEARCH_CONTEXT_EXACT, queries.HIT_AT, {"k": 5, "q": Q}),
}


@pytest.mark.parametrize("name", STATEMENTS)
def test_columns_sit_where_their_names_say(postgres_store: PostgresStore, name: str) -> None:
    sql, at, params = STATEMENTS[name]
    with (
        postgres_store.pool.connection() as conn,
        conn.cursor(row_factory=tuple_row, binary=True) as cur,
    ):
        cur.execute(sql, {**BASE, **params})
        names = [c.name for c in cur.description or ()]
    assert names[:ENTRY_WIDTH] == ENTRY_NAMES
    assert _by_position(at) == {i: names[i] for i in range(ENTRY_WIDTH, len(names))}


RANKED: dict[str, Any] = {"through": 0, "summaries": True, "k": 5}
RANKINGS = {
    "RANK_SEMANTIC": (queries.RANK_SEMANTIC, {**RANKED, "q": Q}),
    "RANK_SEMANTIC_INDEXED": (queries.RANK_SEMANTIC_INDEXED, {**RANKED, "q": Q}),
    "RANK_BM25": (bm25.RANK_BM25, {**RANKED, **(bm25.query_params("port staging") or {})}),
}


@pytest.mark.parametrize("name", RANKINGS)
def test_rankings_select_places(postgres_store: PostgresStore, name: str) -> None:
    # PostgresStore unpacks a ranking's row in queries.RANKED_COLUMNS' order.
    sql, params = RANKINGS[name]
    with (
        postgres_store.pool.connection() as conn,
        conn.cursor(row_factory=tuple_row, binary=True) as cur,
    ):
        cur.execute(sql, {**BASE, **params})
        names = tuple(c.name for c in cur.description or ())
    assert names == queries.RANKED_COLUMNS


def _by_position(at: Mapping[str, int]) -> dict[int, str]:
    return {i: n for n, i in at.items()}
