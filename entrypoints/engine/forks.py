"""The fork use case: a new context that starts from another's history at a version."""

from __future__ import annotations

from domain import versioning
from domain.model import Context
from ports.clock import Clock, IdGenerator
from ports.contexts import Contexts
from ports.forks import Forks


def fork(
    tenant_id: str,
    context_id: str,
    *,
    forks: Forks,
    contexts: Contexts,
    clock: Clock,
    ids: IdGenerator,
    version: int | None = None,
    name: str | None = None,
) -> Context:
    """A new context whose history is this one's entries 1..version (default head)."""
    parent = contexts.get_context(tenant_id, context_id)
    at = parent.head_version if version is None else version
    versioning.check_version(at, parent.head_version)
    return forks.fork(
        tenant_id,
        context_id,
        version=at,
        new_id=ids.new_id(),
        name=name if name is not None else versioning.fork_name(parent.name, at),
        now=clock.now(),
    )
