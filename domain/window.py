"""The token-budget window: a pure function from candidates to an explainable window."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

import attrs

from domain.cache_window import boundaries, stable_start, suffix_start
from domain.errors import BudgetTooSmall, InvalidInput
from domain.model import Entry, EntryKind, Policy, Role, TokenSource, VersionRange
from domain.records import Record
from domain.tool_groups import EntryPool, closure, in_tool_group


class Reason(enum.StrEnum):
    """Why an entry is in the window."""

    PINNED = "pinned"
    SUMMARY = "summary"
    RELEVANT = "relevant"
    RECENT = "recent"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ScoredEntry(Record):
    """An older entry found relevant to the query, with its fused score."""

    entry: Entry
    score: float


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WindowCandidates(Record):
    """What an adapter hands the window rule: bounded, whatever the history's length.

    `tail` is the newest eligible entries (not pins, not summaries, after the summary's
    range), chronological; it holds at least every entry that could fit the budget.
    `relevant` is the fused ranking of older entries for a query, best first, and
    `companions` the entries around them (tool-call partners, neighbours) that may have
    to travel with them; both are empty without a query. `policy` is the context's
    policy read with the candidates (None when the caller built them by hand), so a
    window on the policy's defaults needs no separate read of the context.
    """

    head_version: int
    compacted_through: int = 0
    pins: tuple[Entry, ...] = ()
    summary: Entry | None = None
    tail: tuple[Entry, ...] = ()
    relevant: tuple[ScoredEntry, ...] = ()
    companions: tuple[Entry, ...] = ()
    policy: Policy | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WindowEntry(Record):
    """One entry of a window, with the reason it is there (and its score if relevant)."""

    entry: Entry
    reason: Reason
    score: float | None = None
    # A tool result cleared to a stub here (domain.tool_clearing); the history keeps it whole.
    cleared: bool = False


class WindowEntries(Sequence[WindowEntry]):
    """A window's entries in order, read as WindowEntry values.

    Held side by side (entries, reasons, scores, cleared flags) rather than as one
    WindowEntry per entry: a window carries hundreds of entries per request, most of them
    only ever encoded, and a frozen object each cost more than choosing them. A WindowEntry
    is made when one is read; `rows()` reads them without.
    """

    __slots__ = ("_cleared", "_entries", "_reasons", "_scores")

    def __init__(
        self,
        entries: Sequence[Entry],
        reasons: Sequence[Reason],
        scores: Sequence[float | None] | None = None,
        cleared: Sequence[bool] | None = None,
    ) -> None:
        n = len(entries)
        self._entries = tuple(entries)
        self._reasons = tuple(reasons)
        self._scores = (None,) * n if scores is None else tuple(scores)
        self._cleared = (False,) * n if cleared is None else tuple(cleared)
        if not len(self._reasons) == len(self._scores) == len(self._cleared) == n:
            raise ValueError("a window's entries, reasons, scores and flags differ in length")

    @classmethod
    def of(cls, items: Iterable[WindowEntry]) -> WindowEntries:
        """The entries of these WindowEntry values, in order."""
        if isinstance(items, WindowEntries):
            return items
        listed = list(items)
        return cls(
            [w.entry for w in listed],
            [w.reason for w in listed],
            [w.score for w in listed],
            [w.cleared for w in listed],
        )

    @property
    def chosen(self) -> tuple[Entry, ...]:
        """The entries alone, in window order."""
        return self._entries

    def rows(self) -> Iterator[tuple[Entry, Reason, float | None, bool]]:
        """(entry, reason, score, cleared) per entry, in order, without a WindowEntry each."""
        return zip(self._entries, self._reasons, self._scores, self._cleared, strict=True)

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> WindowEntry: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[WindowEntry, ...]: ...

    def __getitem__(self, index: int | slice) -> WindowEntry | tuple[WindowEntry, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        return WindowEntry(
            entry=self._entries[index],
            reason=self._reasons[index],
            score=self._scores[index],
            cleared=self._cleared[index],
        )

    def __iter__(self) -> Iterator[WindowEntry]:
        for e, r, s, c in self.rows():
            yield WindowEntry(entry=e, reason=r, score=s, cleared=c)

    def _key(self) -> tuple[tuple[object, ...], ...]:
        return (self._entries, self._reasons, self._scores, self._cleared)

    def __eq__(self, other: object) -> bool:
        # Equal to the same entries held either way: a tuple of WindowEntry values too.
        if isinstance(other, WindowEntries):
            return self._key() == other._key()
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"WindowEntries({tuple(self)!r})"


def _window_entries(value: Iterable[WindowEntry]) -> WindowEntries:
    return WindowEntries.of(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Window(Record):
    """The chosen window: entries in order, the tokens they use, and what was left out."""

    entries: WindowEntries = attrs.field(converter=_window_entries)
    tokens: int
    budget: int
    reserve: int
    head_version: int
    omitted_count: int
    omitted: tuple[VersionRange, ...]
    summary_covers: VersionRange | None
    approximate: bool
    # Tokens the cleared tool results would have cost beyond their stubs.
    tokens_saved: int = 0
    # Cache-stable windows: the tokens of the longest prefix this window shares with the
    # window the same parameters give at the previous head (domain.window_rules).
    shared_prefix_tokens: int | None = None
    # The receipt that recorded this window (domain.receipts), when it was recorded.
    receipt_id: str | None = None

    @property
    def available(self) -> int:
        """Tokens the window may use: budget minus the reply's reserve."""
        return self.budget - self.reserve

    @property
    def versions(self) -> VersionRange | None:
        """The first and last version the window holds."""
        if not self.entries:
            return None
        vs = [e.version for e in self.entries.chosen]
        return VersionRange(first=min(vs), last=max(vs))


def recent_suffix(tail: Sequence[Entry], available: int) -> list[Entry]:
    """The longest suffix of `tail` that fits, never opening on an orphaned tool result.

    An entry belongs when it *starts* inside the budget: the suffix it opens fits whole.
    """
    used = 0
    start = len(tail)
    while start > 0 and used + tail[start - 1].token_count <= available:
        start -= 1
        used += tail[start].token_count
    kept = list(tail[start:])
    # Its call was cut: a leading tool result cannot be sent without it.
    while kept and kept[0].role is Role.TOOL:
        kept.pop(0)
    return kept


def omitted_ranges(first: int, last: int, included: Iterable[int]) -> tuple[VersionRange, ...]:
    """The ranges of versions first..last that are not in `included`."""
    ranges: list[VersionRange] = []
    cursor = first
    for v in sorted(set(included)):
        if v < cursor or v > last:
            continue
        if v > cursor:
            ranges.append(VersionRange(first=cursor, last=v - 1))
        cursor = v + 1
    if cursor <= last:
        ranges.append(VersionRange(first=cursor, last=last))
    return tuple(ranges)


def select_window(
    candidates: WindowCandidates, *, budget: int, reserve: int = 0, cache_block: int | None = None
) -> Window:
    """Pins first, then the summary, then the most recent entries that fit, in order.

    With `cache_block` (tokens), the recent entries start at a block boundary
    (domain.cache_window) rather than wherever the budget runs out.
    """
    chosen, used = window_head(candidates, budget=budget, reserve=reserve)
    room = budget - reserve - used
    if cache_block is None:
        recent = recent_suffix(candidates.tail, room)
    else:
        recent = stable_suffix(candidates, candidates.tail, room, cache_block)
    # The recent entries join as they are, with their reason, not as a WindowEntry each.
    entries = [w.entry for w in chosen]
    entries.extend(recent)
    reasons = [w.reason for w in chosen]
    reasons.extend([Reason.RECENT] * len(recent))
    return _assemble(candidates, entries, reasons, None, None, budget=budget, reserve=reserve)


def starts_history(candidates: WindowCandidates, first: Entry | None) -> bool:
    """Whether no eligible entry comes before `first` (None: none at all): every version
    after the summary's range and before it is a pin or the summary."""
    if first is None:
        return True
    skipped = {e.version for e in candidates.pins}
    if candidates.summary is not None:
        skipped.add(candidates.summary.version)
    return all(v in skipped for v in range(candidates.compacted_through + 1, first.version))


def stable_suffix(
    candidates: WindowCandidates, run: Sequence[Entry], room: int, block: int
) -> list[Entry]:
    """The newest entries of `run` that fit `room`, starting at a block boundary once the
    history has outgrown the room (before that, all of them: nothing is left out)."""
    start = suffix_start(run, room)
    if start == 0 and starts_history(candidates, run[0] if run else None):
        return recent_suffix(run, room)
    stable = stable_start(run, start, boundaries(candidates.tail, block))
    if stable is None:
        return recent_suffix(run, room)
    return list(run[stable:])


def check_budget(budget: int, reserve: int) -> None:
    """A window needs a budget of at least 1 and a reserve that leaves room in it."""
    if budget < 1 or not 0 <= reserve < budget:
        raise InvalidInput("budget must be at least 1 and reserve within 0..budget-1")


def window_head(
    candidates: WindowCandidates, *, budget: int, reserve: int
) -> tuple[list[WindowEntry], int]:
    """The pins (which must fit) and the summary (when it fits), with the tokens they use."""
    check_budget(budget, reserve)
    available = budget - reserve
    pin_tokens = sum(e.token_count for e in candidates.pins)
    if pin_tokens > available:
        raise BudgetTooSmall(needed=pin_tokens + reserve, available=budget)
    chosen = [WindowEntry(entry=e, reason=Reason.PINNED) for e in candidates.pins]
    used = pin_tokens
    summary = candidates.summary
    if summary is not None and used + summary.token_count <= available:
        chosen.append(WindowEntry(entry=summary, reason=Reason.SUMMARY))
        used += summary.token_count
    return chosen, used


def known_entries(candidates: WindowCandidates) -> list[Entry]:
    """Pins and the eligible active entries the candidates hold: what groups are made of."""
    through = candidates.compacted_through
    found = [s.entry for s in candidates.relevant]
    # The tail holds only such entries (WindowCandidates): the rest are checked.
    loose = [*candidates.companions, *found]
    eligible = [
        e for e in loose if e.kind is EntryKind.MESSAGE and not e.is_pin and through < e.version
    ]
    return [*candidates.pins, *candidates.tail, *eligible]


def whole_groups(candidates: WindowCandidates, chosen: list[WindowEntry]) -> list[WindowEntry]:
    """The chosen entries less those whose tool-call group is not whole among them.

    A tool result whose call is unknown or left out, and a call whose results never
    arrived or were left out, stay in the history but never go to the model: a provider
    rejects either (and so does everything paired with them).
    """
    kept = _whole(candidates, [w.entry for w in chosen])
    return chosen if kept is None else [w for w, k in zip(chosen, kept, strict=True) if k]


def _whole(
    candidates: WindowCandidates, chosen: Sequence[Entry], pool: EntryPool | None = None
) -> list[bool] | None:
    # Per chosen entry, whether its tool-call group is whole among them (whole_groups);
    # None when no entry is part of a group, so all stay. `pool`: the candidates' known
    # entries, when the caller already indexed them.
    if not any(map(in_tool_group, chosen)):
        return None
    if pool is None:
        pool = EntryPool(known_entries(candidates))
    versions = {e.version for e in chosen}
    # An entry in no group is whole alone; a group's members share one answer, found once.
    whole: dict[int, bool] = {}
    kept = []
    for e in chosen:
        if not in_tool_group(e):
            kept.append(True)
            continue
        answer = whole.get(e.version)
        if answer is None:
            group = closure(e, pool)
            answer = group is not None and all(g.version in versions for g in group)
            whole.update((g.version, answer) for g in group or ())
            whole[e.version] = answer
        kept.append(answer)
    return kept


def assemble_window(
    candidates: WindowCandidates,
    chosen: list[WindowEntry],
    *,
    budget: int,
    reserve: int,
    latest_turn: int | None = None,
    pool: EntryPool | None = None,
) -> Window:
    """The window of the chosen entries: pins, summary, then by version, with what was left
    out; entries whose tool-call group is not whole are left out too.

    With `latest_turn` (a version), relevant entries come after the older recent ones and
    before the latest turn, so they never break the prefix that recency keeps stable.
    `pool`, when given, is EntryPool(known_entries(candidates)), already built.
    """
    return _assemble(
        candidates,
        [w.entry for w in chosen],
        [w.reason for w in chosen],
        [w.score for w in chosen],
        [w.cleared for w in chosen],
        budget=budget,
        reserve=reserve,
        latest_turn=latest_turn,
        pool=pool,
    )


def _assemble(
    candidates: WindowCandidates,
    entries: list[Entry],
    reasons: list[Reason],
    scores: list[float | None] | None,
    cleared: list[bool] | None,
    *,
    budget: int,
    reserve: int,
    latest_turn: int | None = None,
    pool: EntryPool | None = None,
) -> Window:
    # assemble_window over parallel lists (scores and flags None: all None / False), in
    # one pass where it can: a window holds hundreds of entries on every request.
    kept = _whole(candidates, entries, pool)
    if kept is not None:
        entries = [x for x, k in zip(entries, kept, strict=True) if k]
        reasons = [x for x, k in zip(reasons, kept, strict=True) if k]
        scores = None if scores is None else [x for x, k in zip(scores, kept, strict=True) if k]
        cleared = (
            None if cleared is None else [x for x, k in zip(cleared, kept, strict=True) if k]
        )
    # Comprehensions, not one loop: each runs at C speed over the entries.
    versions = [e.version for e in entries]
    used = sum([e.token_count for e in entries])
    approximate = TokenSource.ESTIMATED in {e.token_source for e in entries}
    pinned = Reason.PINNED  # a local: an enum member read per entry costs as much again
    pins = [i for i, r in enumerate(reasons) if r is pinned]
    rank = _order if latest_turn is None else _stable_order(latest_turn)
    if pins:
        rest: Sequence[int] = [i for i, r in enumerate(reasons) if r is not pinned]
        keys = rank([reasons[i] for i in rest], [versions[i] for i in rest])
    else:
        rest = range(len(reasons))
        keys = rank(reasons, versions)
    # Stable, like sorting the entries themselves: equal keys keep their chosen order.
    order = pins + [rest[k] for k in sorted(range(len(rest)), key=keys.__getitem__)]
    omitted = omitted_ranges(candidates.compacted_through + 1, candidates.head_version, versions)
    summary = candidates.summary
    return Window(
        entries=WindowEntries(
            [entries[i] for i in order],
            [reasons[i] for i in order],
            None if scores is None else [scores[i] for i in order],
            None if cleared is None else [cleared[i] for i in order],
        ),
        tokens=used,
        budget=budget,
        reserve=reserve,
        head_version=candidates.head_version,
        omitted_count=sum(r.size for r in omitted),
        omitted=omitted,
        summary_covers=summary.covers if summary is not None else None,
        approximate=approximate,
    )


def _order(reasons: list[Reason], versions: list[int]) -> list[tuple[int, int]]:
    # The summary speaks for older versions, so it leads whatever follows it.
    summary = Reason.SUMMARY
    return [(0 if r is summary else 1, v) for r, v in zip(reasons, versions, strict=True)]


def _stable_order(latest_turn: int) -> Callable[[list[Reason], list[int]], list[tuple[int, int]]]:
    def rank(reason: Reason, version: int) -> int:
        if reason is Reason.SUMMARY:
            return 0
        if reason is Reason.RELEVANT:
            return 2
        return 1 if version < latest_turn else 3

    def order(reasons: list[Reason], versions: list[int]) -> list[tuple[int, int]]:
        return [(rank(r, v), v) for r, v in zip(reasons, versions, strict=True)]

    return order
