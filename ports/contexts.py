"""The contexts port: create, read, list, change and soft-delete contexts of a tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.model import Context, ContextChanges, Page
from domain.retention import RetentionDays


class Contexts(Protocol):
    """Context records with their head and totals.

    Every method names the tenant; another tenant's context raises ContextNotFound,
    exactly like a missing or deleted one.
    """

    def create_context(self, context: Context) -> Context:
        """Store a new, empty context (id, tenant and times already set)."""
        ...

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The live context, with its head and totals. Raises ContextNotFound."""
        ...

    def list_contexts(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's live contexts, oldest first, `limit` at a time (opaque cursor)."""
        ...

    def update_context(
        self, tenant_id: str, context_id: str, changes: ContextChanges, *, now: datetime
    ) -> Context:
        """Change name, metadata or policy. Raises ContextNotFound."""
        ...

    def delete_context(self, tenant_id: str, context_id: str, *, now: datetime) -> None:
        """Soft delete: the context then answers as missing. Raises ContextNotFound."""
        ...

    def restore_context(
        self, tenant_id: str, context_id: str, *, now: datetime, retention: RetentionDays
    ) -> Context:
        """Undo a soft delete within the context's retention (domain.retention.restorable);
        a live context is returned as it is. Raises ContextNotFound when there is no such
        context, or its retention has passed."""
        ...
