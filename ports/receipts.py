"""The receipts port: recorded windows of a context, read back and expired."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.model import Page
from domain.receipts import Receipt
from domain.retention import RetentionDays


class Receipts(Protocol):
    """Receipts keyed by (tenant, context, id).

    A receipt of another tenant, or of a context that is missing or deleted, answers
    exactly like a missing one.
    """

    def record_receipt(self, receipt: Receipt) -> None:
        """Store a receipt (one insert). Raises ContextNotFound when the context is not live."""
        ...

    def get_receipt(self, tenant_id: str, context_id: str, receipt_id: str) -> Receipt:
        """A receipt of a live context. Raises ContextNotFound, ReceiptNotFound."""
        ...

    def list_receipts(
        self, tenant_id: str, context_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Receipt]:
        """A live context's receipts by (created_at, id), `limit` at a time (opaque cursor).

        Raises ContextNotFound.
        """
        ...

    def expire_receipts(self, *, now: datetime, retention: RetentionDays) -> int:
        """Delete every receipt, of any tenant, kept past its days (domain.retention:
        the context's policy's, else the deployment's); how many were deleted."""
        ...
