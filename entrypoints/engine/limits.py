"""The engine's input limits, checked once, before any store is asked."""

from __future__ import annotations

import attrs

from domain.errors import InvalidInput, WindowTooLarge
from domain.model import storable_text
from domain.records import Record

MAX_BATCH = 1000
MAX_PAGE = 1000
MAX_QUERY_CHARS = 20_000
MAX_SEARCH_K = 100


def check_batch(count: int) -> None:
    """An append carries at most MAX_BATCH entries."""
    if count > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} entries per append, got {count}")


def check_page(limit: int) -> None:
    """A page holds 1..MAX_PAGE items."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be within 1..{MAX_PAGE}")


def check_search_k(k: int) -> None:
    """A search returns 1..MAX_SEARCH_K hits."""
    if not 1 <= k <= MAX_SEARCH_K:
        raise InvalidInput(f"k must be within 1..{MAX_SEARCH_K}")


def query_text(query: str | None) -> str | None:
    """The query text, None when blank; refused when no store could search it."""
    if query is None or not query.strip():
        return None
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query must be at most {MAX_QUERY_CHARS} characters")
    storable_text(query, what="query")
    return query


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WindowLimits(Record):
    """What one window may materialise: the tokens it may take (its budget minus its
    reserve, checked before anything is read, which bounds the entries read since each
    takes a token at least) and the entries it may hold (checked once it is chosen,
    before it is recorded or sent). Without them a 2M-token window of a 100k-entry
    context is a 30 MB response that costs the server 75 MB while it is made."""

    max_tokens: int = attrs.field(default=1_000_000, validator=attrs.validators.ge(1))
    max_entries: int = attrs.field(default=10_000, validator=attrs.validators.ge(1))

    def check_budget(self, budget: int, reserve: int) -> None:
        """Refuse a budget whose window could take more than `max_tokens`."""
        wanted = budget - reserve
        if wanted > self.max_tokens:
            raise WindowTooLarge(resource="tokens", limit=self.max_tokens, requested=wanted)

    def check_entries(self, count: int) -> None:
        """Refuse a chosen window of more than `max_entries` entries."""
        if count > self.max_entries:
            raise WindowTooLarge(resource="entries", limit=self.max_entries, requested=count)


WINDOW_LIMITS = WindowLimits()
