"""The search port: embedding similarity across a tenant's contexts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model import SearchHit


class Search(Protocol):
    """Nearest entries by cosine within one tenant."""

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """The k entries closest by cosine within the tenant (optionally one context)."""
        ...
