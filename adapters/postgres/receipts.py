"""Receipts over PostgreSQL: a part of PostgresStore (the SQL, and rows <-> receipts)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
import psycopg

from adapters.postgres.rows import policy_from_json, policy_json, to_json
from domain.errors import InvalidInput, ReceiptNotFound
from domain.model import Context, Page, VersionRange
from domain.pagination import parse_context_cursor, time_cursor
from domain.receipts import Receipt, SentEntry, WindowAsked
from domain.retention import RetentionDays

_COLUMNS = (
    "tenant_id, context_id, id, created_at, head_version, budget, reserve, query_hash, "
    "query_embedding_hash, relevant_share, neighbours, policy, entries, tokens, "
    "omitted_count, omitted, summary_first, summary_last, approximate, tokens_saved, "
    "shared_prefix_tokens"
)
_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))

# One INSERT, and only for a live context of the tenant: the window's one extra statement.
RECORD = f"""
INSERT INTO receipts ({_COLUMNS})
SELECT c.tenant_id, c.id, %(rid)s, %(created_at)s, %(head_version)s, %(budget)s,
       %(reserve)s, %(query_hash)s, %(query_embedding_hash)s, %(relevant_share)s,
       %(neighbours)s, %(policy)s::json, %(entries)s::json, %(tokens)s, %(omitted_count)s,
       %(omitted)s::json, %(summary_first)s, %(summary_last)s, %(approximate)s,
       %(tokens_saved)s, %(shared_prefix_tokens)s
FROM contexts c
WHERE c.tenant_id = %(tenant)s AND c.id = %(context)s AND c.deleted_at IS NULL
ON CONFLICT DO NOTHING
RETURNING id
"""

GET = f"""
SELECT {_R_COLUMNS} FROM receipts r
JOIN contexts c ON c.tenant_id = r.tenant_id AND c.id = r.context_id
WHERE r.tenant_id = %(tenant)s AND r.context_id = %(context)s AND r.id = %(rid)s
  AND c.deleted_at IS NULL
"""

LIST = f"""
SELECT {_COLUMNS} FROM receipts
WHERE tenant_id = %(tenant)s AND context_id = %(context)s
  AND (%(after_at)s::timestamptz IS NULL OR (created_at, id) > (%(after_at)s, %(after_id)s))
ORDER BY created_at, id
LIMIT %(limit)s
"""

# Expiry crosses tenants: migration 009's expire_receipts runs it as its owner (it
# restates domain.retention.expired).
EXPIRE = "SELECT expire_receipts(%(now)s, %(days)s) AS gone"


class PostgresReceipts:
    """The receipts port for PostgresStore, over its pool and cursors."""

    if TYPE_CHECKING:

        def _one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None: ...

        def _all(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]: ...

        def _connection(
            self, *, tuples: bool = False
        ) -> contextlib.AbstractContextManager[psycopg.Cursor[Any]]: ...

        def get_context(self, tenant_id: str, context_id: str) -> Context: ...

    def record_receipt(self, receipt: Receipt) -> None:
        """Store a receipt of a live context, in one INSERT."""
        if self._one(RECORD, _params(receipt)) is not None:
            return
        self.get_context(receipt.tenant_id, receipt.context_id)  # ContextNotFound
        raise InvalidInput(f"receipt id {receipt.id!r} already exists")

    def get_receipt(self, tenant_id: str, context_id: str, receipt_id: str) -> Receipt:
        """A receipt of a live context of the tenant."""
        key = {"tenant": tenant_id, "context": context_id, "rid": receipt_id}
        row = self._one(GET, key)
        if row is None:
            self.get_context(tenant_id, context_id)  # ContextNotFound
            raise ReceiptNotFound(receipt_id)
        return receipt_from_row(row)

    def list_receipts(
        self, tenant_id: str, context_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Receipt]:
        """The context's receipts by (created_at, id); the cursor is the last item's key."""
        after_at, after_id = parse_context_cursor(cursor) if cursor is not None else (None, None)
        self.get_context(tenant_id, context_id)
        params = {
            "tenant": tenant_id,
            "context": context_id,
            "after_at": after_at,
            "after_id": after_id,
            "limit": limit + 1,
        }
        rows = self._all(LIST, params)
        items = tuple(receipt_from_row(r) for r in rows[:limit])
        more = len(rows) > limit and bool(items)
        next_cursor = time_cursor(items[-1].created_at, items[-1].id) if more else None
        return Page(items=items, next_cursor=next_cursor)

    def expire_receipts(self, *, now: datetime, retention: RetentionDays) -> int:
        """Delete the receipts kept past their context's days, in one statement."""
        with self._connection() as cur:
            row = cur.execute(EXPIRE, {"now": now, "days": retention.receipts}).fetchone()
        return int(row["gone"]) if row else 0


def _params(r: Receipt) -> dict[str, Any]:
    covers = r.summary_covers
    return {
        "tenant": r.tenant_id,
        "context": r.context_id,
        "rid": r.id,
        "created_at": r.created_at,
        "head_version": r.head_version,
        "budget": r.asked.budget,
        "reserve": r.asked.reserve,
        "query_hash": r.asked.query_hash,
        "query_embedding_hash": r.asked.query_embedding_hash,
        "relevant_share": r.asked.relevant_share,
        "neighbours": r.asked.neighbours,
        "policy": policy_json(r.asked.policy),
        "entries": to_json(
            [[e.version, e.reason, e.score, e.tokens, e.stub_source] for e in r.entries]
        ),
        "tokens": r.tokens,
        "omitted_count": r.omitted_count,
        "omitted": to_json([[o.first, o.last] for o in r.omitted]),
        "summary_first": None if covers is None else covers.first,
        "summary_last": None if covers is None else covers.last,
        "approximate": r.approximate,
        "tokens_saved": r.tokens_saved,
        "shared_prefix_tokens": r.shared_prefix_tokens,
    }


def receipt_from_row(row: Mapping[str, Any]) -> Receipt:
    """A Receipt from a row selected with the receipts table's columns."""
    entries, omitted = _json(row["entries"]), _json(row["omitted"])
    first, last = row["summary_first"], row["summary_last"]
    return Receipt(
        id=row["id"],
        tenant_id=row["tenant_id"],
        context_id=row["context_id"],
        created_at=row["created_at"].astimezone(UTC),
        head_version=row["head_version"],
        asked=WindowAsked(
            budget=row["budget"],
            reserve=row["reserve"],
            query_hash=row["query_hash"],
            query_embedding_hash=row["query_embedding_hash"],
            relevant_share=row["relevant_share"],
            neighbours=row["neighbours"],
            policy=policy_from_json(_json(row["policy"])),
        ),
        entries=tuple(
            SentEntry(version=e[0], reason=e[1], score=e[2], tokens=e[3],
                      stub_source=e[4] if len(e) > 4 else None)
            for e in entries
        ),
        tokens=row["tokens"],
        omitted_count=row["omitted_count"],
        omitted=tuple(VersionRange(first=a, last=b) for a, b in omitted),
        summary_covers=None if first is None else VersionRange(first=first, last=last),
        approximate=row["approximate"],
        tokens_saved=row["tokens_saved"],
        shared_prefix_tokens=row["shared_prefix_tokens"],
    )


def _json(value: Any) -> Any:
    # psycopg parses json columns; a text one (a cast) is parsed here.
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value
