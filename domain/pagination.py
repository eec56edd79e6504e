"""Cursors for listing contexts: opaque, URL-safe, and the same for every adapter."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from domain.errors import InvalidInput
from domain.model import Context, Page

T = TypeVar("T")


def context_cursor(context: Context) -> str:
    """The cursor meaning "after this context" in (created_at, id) order."""
    return time_cursor(context.created_at, context.id)


def time_cursor(created_at: datetime, id: str) -> str:
    """The cursor meaning "after this item" in (created_at, id) order (contexts, receipts).

    Base64url, so it travels in a query string as it is (an ISO time's `+` would not).
    """
    raw = f"{created_at.isoformat()}|{id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_context_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor points after. Raises InvalidInput when malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, sep, cid = raw.partition("|")
        if not sep or not cid:
            raise ValueError(cursor)
        return datetime.fromisoformat(created), cid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(f"malformed cursor {cursor!r}") from None


def time_page(
    items: Iterable[T],
    key: Callable[[T], tuple[datetime, str]],
    *,
    limit: int,
    cursor: str | None = None,
) -> Page[T]:
    """A page of `items` in (time, id) `key` order after the cursor's key, `limit` long,
    with the cursor of the next page (None at the end): how an in-process list pages."""
    ordered = sorted(items, key=key)
    if cursor is not None:
        after = parse_context_cursor(cursor)
        ordered = [x for x in ordered if key(x) > after]
    page = tuple(ordered[:limit])
    more = len(ordered) > limit and bool(page)
    return Page(items=page, next_cursor=time_cursor(*key(page[-1])) if more else None)
