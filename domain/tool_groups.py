"""Tool-call groups: which entries must travel together so a window stays a valid sequence.

An assistant entry that makes tool calls and the tool results answering them form one
group: a model API rejects a result without its call, or a call without its results.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from domain.model import Entry, Role


def in_tool_group(entry: Entry) -> bool:
    """Whether the entry makes tool calls or is a tool result (Ranked.grouped)."""
    return entry.role is Role.TOOL or bool(entry.tool_calls)


class EntryPool:
    """The entries known around some versions, indexed to find tool-call partners.

    Call ids may be reused across a history, so a result answers the nearest earlier
    assistant entry that made a call with its id, and the pool only vouches for that
    when it knows every version in between (a gap could hide a nearer call).
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        # The first of each version wins (reversed: the first assignment is the last made).
        self._by_version: dict[int, Entry] = {e.version: e for e in reversed(list(entries))}
        self._calls: dict[str, list[int]] = {}
        self._results: dict[str, list[int]] = {}
        known = sorted(self._by_version)
        # The first version of each unbroken run of known versions, ascending.
        self._runs = [v for i, v in enumerate(known) if not i or known[i - 1] != v - 1]
        # Only entries in a group are indexed.
        for v in [v for v in known if in_tool_group(self._by_version[v])]:
            e = self._by_version[v]
            for call in e.tool_calls:
                self._calls.setdefault(call.id, []).append(v)
            if e.role is Role.TOOL and e.tool_call_id:
                self._results.setdefault(e.tool_call_id, []).append(v)

    def _run_start(self, version: int) -> int:
        """The first version of the unbroken run of known versions `version` is in (itself
        when unknown)."""
        if version not in self._by_version:
            return version
        return self._runs[bisect.bisect_right(self._runs, version) - 1]

    def get(self, version: int) -> Entry | None:
        """The entry at `version`, if known."""
        return self._by_version.get(version)

    def call_for(self, result: Entry) -> Entry | None:
        """The assistant entry a tool result answers, if known."""
        versions = self._calls.get(result.tool_call_id or "", [])
        i = bisect.bisect_left(versions, result.version)
        if not i or versions[i - 1] < self._run_start(result.version):
            return None
        return self._by_version[versions[i - 1]]

    def results_for(self, call: Entry, call_id: str) -> list[Entry]:
        """The known tool results answering `call_id` of the assistant entry `call`."""
        found = []
        for v in self._results.get(call_id, []):
            result = self._by_version[v]
            answered = self.call_for(result)
            if v > call.version and answered is not None and answered.version == call.version:
                found.append(result)
        return found


def closure(seed: Entry, pool: EntryPool) -> list[Entry] | None:
    """`seed` with every call and result it needs, in version order; None when one of
    them is not in the pool (then the entry cannot be sent without breaking a group)."""
    if not in_tool_group(seed):
        return [seed]  # most entries: alone (and no dict built per entry)
    out: dict[int, Entry] = {}
    todo = [seed]
    while todo:
        entry = todo.pop()
        if entry.version in out:
            continue
        out[entry.version] = entry
        if entry.role is Role.TOOL:
            call = pool.call_for(entry)
            if call is None:
                return None
            todo.append(call)
        for c in entry.tool_calls:
            results = pool.results_for(entry, c.id)
            if not results:
                return None
            todo.extend(results)
    return [out[v] for v in sorted(out)]


def group_with_neighbours(entry: Entry, pool: EntryPool, neighbours: int) -> list[Entry] | None:
    """The entry's tool-call group plus, where they form whole groups, the entries up to
    `neighbours` versions before and after it; None when its own group is incomplete."""
    core = closure(entry, pool)
    if core is None:
        return None
    members = {e.version: e for e in core}
    for distance in range(1, neighbours + 1):
        for v in (entry.version - distance, entry.version + distance):
            near = pool.get(v)
            if near is None or v in members:
                continue
            group = closure(near, pool)
            if group is not None:
                members.update((e.version, e) for e in group)
    return [members[v] for v in sorted(members)]


def orphans(entries: Iterable[Entry], pool: EntryPool) -> set[int]:
    """Versions of the tool results in `entries` whose call (as `pool` knows it) is not
    among them."""
    chosen = list(entries)
    versions = {e.version for e in chosen}
    out = set()
    for e in chosen:
        if e.role is Role.TOOL:
            call = pool.call_for(e)
            if call is None or call.version not in versions:
                out.add(e.version)
    return out
