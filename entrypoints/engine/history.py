"""Reading history: pages of entries and the whole state at a version (time travel)."""

from __future__ import annotations

import attrs

from domain.model import Entry, Page
from domain.records import Record
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


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VersionState(Record):
    """The state at a version: the entry that version added, and a page of entries 1..N."""

    version: int
    entry: Entry | None
    page: Page[Entry]


def version_state(
    tenant_id: str,
    context_id: str,
    version: int,
    *,
    log: VersionLog,
    after: int = 0,
    limit: int = 100,
) -> VersionState:
    """The entry `version` added (None at 0) and the page of its state after `after`."""
    page = entries(tenant_id, context_id, log=log, after=after, limit=limit, at=version)
    added = next((e for e in page.items if e.version == version), None)
    if added is None and version > 0:
        found = log.read_versions(tenant_id, context_id, [version])
        added = found[0] if found else None
    return VersionState(version=version, entry=added, page=page)
