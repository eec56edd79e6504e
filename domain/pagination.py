"""Cursors for listing contexts: opaque, URL-safe, and the same for every adapter."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from domain.errors import InvalidInput
from domain.model import Context


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
