"""The readiness port: whether the store can answer requests right now."""

from __future__ import annotations

from typing import Protocol


class Readiness(Protocol):
    """A store that can say whether it is reachable (the readiness probe asks it)."""

    def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable when it cannot."""
        ...
