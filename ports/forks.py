"""The forks port: new contexts that start from another's history at a version."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.model import Context


class Forks(Protocol):
    """Forking a context and listing its forks."""

    def fork(
        self,
        tenant_id: str,
        context_id: str,
        *,
        version: int,
        new_id: str,
        name: str,
        now: datetime,
    ) -> Context:
        """A new context whose history is the parent's entries 1..version.

        Raises VersionOutOfRange, ContextNotFound.
        """
        ...

    def list_forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The live direct forks of a context, oldest first."""
        ...
