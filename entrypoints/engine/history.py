"""Reading history: pages of entries and the whole state at a version (time travel)."""

from __future__ import annotations

from domain.model import Entry, Page
from entrypoints.engine.limits import MAX_PAGE, check_page
from ports.version_log import VersionLog


def entries(
    tenant_id: str,
    context_id: str,
    *,
    log: VersionLog,
    after: int = 0,
    limit: int = 100,
    at: int | None = None,
) -> Page[Entry]:
    """Entries after a version cursor, as of version `at` (time travel) or the head."""
    check_page(limit)
    return log.read_entries(tenant_id, context_id, after=after, limit=limit, at=at)


def state_at(
    tenant_id: str, context_id: str, version: int, *, log: VersionLog
) -> tuple[Entry, ...]:
    """The whole state at `version`: entries 1..version, read a page at a time."""
    out: list[Entry] = []
    after = 0
    while True:
        page = log.read_entries(tenant_id, context_id, after=after, limit=MAX_PAGE, at=version)
        out.extend(page.items)
        if page.next_cursor is None or not page.items:
            return tuple(out)
        after = page.items[-1].version
