"""Context use cases: create, list and change contexts."""

from __future__ import annotations

from typing import Any

from domain.model import Context, Page, Policy
from entrypoints.engine.limits import check_page
from ports.clock import Clock, IdGenerator
from ports.contexts import Contexts


def create_context(
    tenant_id: str,
    *,
    contexts: Contexts,
    clock: Clock,
    ids: IdGenerator,
    name: str = "",
    metadata: dict[str, Any] | None = None,
    policy: Policy | None = None,
) -> Context:
    """A new, empty context for the tenant."""
    now = clock.now()
    context = Context(
        id=ids.new_id(),
        tenant_id=tenant_id,
        name=name,
        metadata=metadata or {},
        policy=policy or Policy(),
        created_at=now,
        updated_at=now,
    )
    return contexts.create_context(context)


def list_contexts(
    tenant_id: str, *, contexts: Contexts, limit: int, cursor: str | None
) -> Page[Context]:
    """The tenant's contexts, a page at a time."""
    check_page(limit)
    return contexts.list_contexts(tenant_id, limit=limit, cursor=cursor)
