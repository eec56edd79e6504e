"""Where a drop-in's conversation lives now, on a log that never forgets.

Frameworks expect to remove items (pop the last one, clear everything). Kata's history is
append-only, so a removal is a fork: popping forks at head-1, clearing forks at 0, and the
conversation continues in the fork. The context the conversation started in (its *root*,
whose id is the session's id) records the current one in its metadata under
`kata_session.head`, so reopening by the root id finds it; the old history stays readable
(time travel, audit) in the context it was written to.
"""

from __future__ import annotations

from typing import Any

from domain.model import Context, ContextChanges
from entrypoints.integrations.kata import AsyncKata, Kata

POINTER = "kata_session"


def _head_id(root: Context) -> str:
    found = root.metadata.get(POINTER)
    head = found.get("head") if isinstance(found, dict) else None
    return head if isinstance(head, str) and head else root.id


def _moved(root: Context, head_id: str) -> ContextChanges:
    metadata: dict[str, Any] = {**root.metadata, POINTER: {"head": head_id}}
    return ContextChanges(metadata=metadata)


def current(kata: Kata, root_id: str) -> Context:
    """The context the conversation rooted at `root_id` lives in now."""
    root = kata.get_context(root_id)
    head = _head_id(root)
    return root if head == root.id else kata.get_context(head)


def move(kata: Kata, root_id: str, head_id: str) -> None:
    """Point the conversation at `head_id`."""
    kata.update_context(root_id, _moved(kata.get_context(root_id), head_id))


async def acurrent(kata: AsyncKata, root_id: str) -> Context:
    """`current`, for asyncio."""
    root = await kata.get_context(root_id)
    head = _head_id(root)
    return root if head == root.id else await kata.get_context(head)


async def amove(kata: AsyncKata, root_id: str, head_id: str) -> None:
    """`move`, for asyncio."""
    await kata.update_context(root_id, _moved(await kata.get_context(root_id), head_id))
