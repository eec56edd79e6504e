"""Naming the tenant of each transaction, for the row-level security policies to read.

The policies (migrations/007_row_level_security.sql) compare each row's tenant_id with
the setting `kata.tenant_id`, set here with set_config(..., true): SET LOCAL semantics, so
it ends with the transaction and never leaks to the next user of a pooled connection.

A single statement runs in autocommit, where each statement would be its own transaction
and a setting made by one would be gone before the next. `statement` therefore sends the
setting and the statement together in one pipeline, with no Sync between them: PostgreSQL
runs the messages before a Sync as one implicit transaction, so both share it, and the
pair costs one round trip, like the statement alone (+~40 us measured, bench/rls.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg

TENANT_SETTING = "kata.tenant_id"
KEY_HASH_SETTING = "kata.key_hash"

_SET = "SELECT set_config(%s, %s, true)"


def name(conn: psycopg.Connection[Any], setting: str, value: str) -> None:
    """Set `setting` = `value` for the rest of the transaction (explicit, or the implicit
    one a pipeline's statements before its Sync share)."""
    conn.execute(_SET, (setting, value))


def statement(
    cur: psycopg.Cursor[Any],
    setting: str,
    value: str,
    sql: str,
    params: Mapping[str, Any] | Any,
    *,
    before: Sequence[str] = (),
) -> psycopg.Cursor[Any]:
    """Run `sql` on `cur` in one transaction with `setting` = `value` (and after the
    parameterless statements `before`, in the same round trip); its rows stay on cur."""
    conn = cur.connection
    with conn.pipeline():
        # Its own cursor: results arrive on the cursor that asked, and cur must hold sql's.
        name(conn, setting, value)
        for first in before:
            conn.execute(first)
        cur.execute(sql, params)
    return cur


@contextlib.contextmanager
def transaction(cur: psycopg.Cursor[Any], setting: str, value: str) -> Iterator[None]:
    """A transaction on cur's connection whose statements see `setting` = `value`."""
    with cur.connection.transaction():
        name(cur.connection, setting, value)
        yield
