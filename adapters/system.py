"""The real clock and id generator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class UuidIds:
    """Random UUID4 ids."""

    def new_id(self) -> str:
        """A fresh UUID as text."""
        return str(uuid.uuid4())
