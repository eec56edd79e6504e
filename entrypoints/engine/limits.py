"""The engine's input limits, checked once, before any store is asked."""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.model import storable_text

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
