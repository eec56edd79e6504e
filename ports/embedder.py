"""The embedder port: vectors for entries and queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    """Turns texts into vectors of a fixed dimension."""

    @property
    def dimension(self) -> int:
        """The vector length this embedder produces."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...
