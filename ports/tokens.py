"""The token counter port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs

from domain.records import Record


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TokenCount(Record):
    """A count, and whether it is exact for the encoding or an estimate."""

    tokens: int
    exact: bool


class TokenCounter(Protocol):
    """Counts tokens offline, with no network ever."""

    def count(self, texts: Sequence[str], *, encoding: str) -> list[TokenCount]:
        """One count per text, in the named encoding (unknown encodings estimate)."""
        ...

    def encodings(self) -> tuple[str, ...]:
        """The encodings counted exactly."""
        ...
