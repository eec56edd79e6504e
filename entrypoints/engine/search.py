"""The search use case: entries similar to a vector, across the tenant's contexts."""

from __future__ import annotations

from collections.abc import Sequence

from domain.model import SearchHit
from entrypoints.engine.drafting import Drafter
from entrypoints.engine.limits import check_search_k
from ports.search import Search


def search(
    tenant_id: str,
    embedding: Sequence[float],
    *,
    index: Search,
    drafter: Drafter,
    k: int = 10,
    context_id: str | None = None,
) -> tuple[SearchHit, ...]:
    """The k entries most similar to `embedding` in the tenant (or one context)."""
    check_search_k(k)
    drafter.check_dimension(embedding)
    return index.search(tenant_id, embedding, k=k, context_id=context_id)
