"""Clock and id ports: what keeps the engine deterministic under test."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class IdGenerator(Protocol):
    """Makes new context ids."""

    def new_id(self) -> str:
        """A fresh, unique id."""
        ...
