"""Receipts in process memory: a part of MemoryStore, under its lock."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from adapters.memory.log import ContextLog
from domain.errors import InvalidInput, ReceiptNotFound
from domain.model import Page
from domain.pagination import time_page
from domain.receipts import Receipt
from domain.retention import RetentionDays, expired


class MemoryReceipts:
    """The receipts port for MemoryStore: receipts kept per context, by id."""

    _lock: threading.RLock
    _logs: dict[str, ContextLog]

    if TYPE_CHECKING:

        def _live(self, tenant_id: str, context_id: str) -> ContextLog: ...

    def __init__(self) -> None:
        self._receipts: dict[str, dict[str, Receipt]] = {}

    def record_receipt(self, receipt: Receipt) -> None:
        """Store a receipt of a live context."""
        with self._lock:
            self._live(receipt.tenant_id, receipt.context_id)
            book = self._receipts.setdefault(receipt.context_id, {})
            if receipt.id in book:
                raise InvalidInput(f"receipt id {receipt.id!r} already exists")
            book[receipt.id] = receipt

    def get_receipt(self, tenant_id: str, context_id: str, receipt_id: str) -> Receipt:
        """A receipt of a live context of the tenant."""
        with self._lock:
            self._live(tenant_id, context_id)
            found = self._receipts.get(context_id, {}).get(receipt_id)
        if found is None:
            raise ReceiptNotFound(receipt_id)
        return found

    def list_receipts(
        self, tenant_id: str, context_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Receipt]:
        """The context's receipts by (created_at, id); the cursor is the last item's key."""
        with self._lock:
            self._live(tenant_id, context_id)
            receipts = list(self._receipts.get(context_id, {}).values())
        return time_page(receipts, _order_key, limit=limit, cursor=cursor)

    def expire_receipts(self, *, now: datetime, retention: RetentionDays) -> int:
        """Delete the receipts kept past their context's days (the default's, once the
        context is gone)."""
        deleted = 0
        with self._lock:
            for context_id, book in self._receipts.items():
                log = self._logs.get(context_id)
                days = retention.receipts if log is None else retention.for_receipts(
                    log.context.policy
                )
                stale = [k for k, r in book.items() if expired(r.created_at, days=days, now=now)]
                for k in stale:
                    del book[k]
                deleted += len(stale)
        return deleted


def _order_key(receipt: Receipt) -> tuple[datetime, str]:
    return (receipt.created_at, receipt.id)
