"""One context's version log in memory, with the indexes that keep windows flat.

A log stores only its own versions (those after its base, domain.lineage); a fork shares
the logs of its ancestors by reference. `History` reads a lineage as one history through
a version, each lookup a bisect within the segment that holds it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from adapters.memory.lexical import LexicalIndex, top_over
from adapters.memory.vectors import VectorLog
from domain import discourse, history, lineage
from domain.lexical import best_first
from domain.lineage import Base, Segment
from domain.model import AppendResult, Context, Entry, EntryKind
from domain.records import Record
from domain.relevance import TOOL_REACH, Ranked, ranked
from domain.tokens import message_text
from domain.tool_groups import in_tool_group

if TYPE_CHECKING:
    from adapters.memory.vectors import Matrix


@attrs.define(kw_only=True, eq=False, repr=False)
class ContextLog(Record):
    """A context record and its own versions (after `base.start`).

    `eligible_versions` lists its eligible entries (messages that are not pins) in version
    order and `eligible_sums[i]` the eligible tokens of the whole history before the i-th
    of them (so `eligible_sums[0]` is the base's total): the tail start is a bisect
    whatever the history's length. `token_sums[i]` is the history's tokens through
    version start + i.
    """

    # A log is itself, not its contents: compared and hashed by identity (Record's value
    # equality would compare whole histories).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    context: Context
    base: Base = attrs.Factory(Base)
    # The logs of base.sources, in the same order.
    base_logs: tuple[ContextLog, ...] = ()
    entries: list[Entry] = attrs.Factory(list)
    token_sums: list[int] = attrs.Factory(lambda: [0])
    pins: list[Entry] = attrs.Factory(list)
    summaries: list[Entry] = attrs.Factory(list)
    # Revert markers (each `covers` the summary version it reverted).
    reverts: list[Entry] = attrs.Factory(list)
    eligible_versions: list[int] = attrs.Factory(list)
    eligible_sums: list[int] = attrs.Factory(lambda: [0])
    vectors: VectorLog = attrs.Factory(VectorLog)
    lexical: LexicalIndex = attrs.Factory(LexicalIndex)
    idempotency: dict[str, tuple[str, AppendResult]] = attrs.Factory(dict)
    # Per own version: the subjects it was indexed with, and the discourse scope after it
    # (and the scope after the base).
    context_terms: list[tuple[str, ...]] = attrs.Factory(list)
    scopes: list[tuple[str, ...]] = attrs.Factory(list)
    base_scope: tuple[str, ...] = ()

    @property
    def start(self) -> int:
        """Own versions are those after this one."""
        return self.base.start

    @property
    def head(self) -> int:
        """The newest version."""
        return self.start + len(self.entries)

    @property
    def scope(self) -> tuple[str, ...]:
        """The discourse scope after the head."""
        return self.scopes[-1] if self.scopes else self.base_scope

    @property
    def compacted_through(self) -> int:
        """The last version the newest summary covers (0 without one)."""
        return self.history().compacted_through

    def own(self, version: int) -> Entry:
        """An own version's entry."""
        return self.entries[version - self.start - 1]

    def add(
        self,
        entry: Entry,
        *,
        context_terms: tuple[str, ...] = (),
        scope: tuple[str, ...] | None = None,
    ) -> None:
        """Append one entry and index it, with the subjects it was drafted with (a scope
        of None, a summary's, leaves the scope as it was)."""
        self.scopes.append(self.scope if scope is None else scope)
        self.context_terms.append(context_terms)
        self.entries.append(entry)
        self.token_sums.append(self.token_sums[-1] + entry.token_count)
        eligible = history.is_eligible(entry)
        if eligible:
            self.eligible_versions.append(entry.version)
            self.eligible_sums.append(self.eligible_sums[-1] + entry.token_count)
            self.lexical.add(
                entry.version, discourse.indexed_terms(message_text(entry), context_terms)
            )
        elif entry.is_summary:
            self.summaries.append(entry)
        elif entry.kind is EntryKind.REVERT:
            self.reverts.append(entry)
        else:
            self.pins.append(entry)
        if entry.embedding is not None:
            self.vectors.add(entry.version, entry.embedding, eligible=eligible)

    def history(self, upto: int | None = None) -> History:
        """This context's history through `upto` (the head by default)."""
        end = self.head if upto is None else upto
        logs = {log.context.id: log for log in self.base_logs}
        logs[self.context.id] = self
        parts = lineage.segments(self.base, self.context.id, end)
        return History(parts=tuple((logs[s.source], s) for s in parts), upto=end)

    def truncate(self, keep: int) -> int:
        """Drop own versions after `keep` (a purge that forks still share up to there);
        returns how many were dropped. The indexes are rebuilt from what stays."""
        kept = self.entries[: max(keep - self.start, 0)]
        dropped = len(self.entries) - len(kept)
        scopes, terms = self.scopes[: len(kept)], self.context_terms[: len(kept)]
        fresh = ContextLog(
            context=self.context,
            base=self.base,
            base_logs=self.base_logs,
            token_sums=[self.token_sums[0]],
            eligible_sums=[self.eligible_sums[0]],
            base_scope=self.base_scope,
        )
        for entry, scope, words in zip(kept, scopes, terms, strict=True):
            fresh.add(entry, context_terms=words, scope=scope)
        for name in _REBUILT:
            setattr(self, name, getattr(fresh, name))
        return dropped


_REBUILT = (
    "entries", "token_sums", "pins", "summaries", "reverts", "eligible_versions",
    "eligible_sums",
    "vectors", "lexical", "context_terms", "scopes",
)


def _count_through(versions: Sequence[int], version: int) -> int:
    return bisect.bisect_right(versions, version)


@attrs.frozen(repr=False, eq=False)
class History(Record):
    """A lineage read as one history through `upto`: (log, segment) pairs, oldest first."""

    parts: tuple[tuple[ContextLog, Segment], ...]
    upto: int

    def _holding(self, version: int) -> tuple[ContextLog, Segment] | None:
        his = [s.hi for _, s in self.parts]
        i = bisect.bisect_left(his, version)
        if i < len(self.parts) and self.parts[i][1].lo < version:
            return self.parts[i]
        return None

    def entry(self, version: int) -> Entry | None:
        """The entry at a version, if the history holds it."""
        found = self._holding(version)
        return found[0].own(version) if found is not None else None

    def entries_at(self, versions: Sequence[int]) -> list[Entry]:
        """The entries at `versions` (ascending) that the history holds, in order: one
        bisect per segment, not one per version."""
        out: list[Entry] = []
        for log, seg in self.parts:
            i = bisect.bisect_right(versions, seg.lo)
            j = bisect.bisect_right(versions, seg.hi)
            start = log.start + 1
            own = log.entries
            out.extend([own[v - start] for v in versions[i:j]])
        return out

    def entries(self, *, after: int, limit: int) -> list[Entry]:
        """Versions after `after`, ascending, at most `limit`."""
        out: list[Entry] = []
        for log, seg in self.parts:
            if seg.hi <= after:
                continue
            first = max(seg.lo, after)
            stop = min(seg.hi, first + limit - len(out))
            out.extend(log.entries[first - log.start : stop - log.start])
            if len(out) >= limit:
                break
        return out

    def pins(self) -> list[Entry]:
        """The pins of the history, in order."""
        out: list[Entry] = []
        for log, seg in self.parts:
            out.extend(_within(log.pins, seg))
        return out

    @property
    def summary(self) -> Entry | None:
        """The summary in force: the newest one no revert marker of the history reverted."""
        reverted = {
            r.covers.first for log, seg in self.parts for r in _within(log.reverts, seg)
            if r.covers is not None
        }
        for log, seg in reversed(self.parts):
            for found in reversed(_within(log.summaries, seg)):
                if found.version not in reverted:
                    return found
        return None

    @property
    def compacted_through(self) -> int:
        """The last version the newest summary covers (0 without one)."""
        return history.compacted_through(self.summary)

    def eligible_through(self, version: int) -> int:
        """Eligible tokens of versions 1..version."""
        found = self._holding(version)
        if found is None:
            return 0
        log, _ = found
        return log.eligible_sums[_count_through(log.eligible_versions, version)]

    @property
    def token_total(self) -> int:
        """Tokens of the whole history."""
        found = self._holding(self.upto)
        return found[0].token_sums[self.upto - found[0].start] if found is not None else 0

    @property
    def scope(self) -> tuple[str, ...]:
        """The discourse scope after the last version."""
        found = self._holding(self.upto)
        if found is None:
            return ()
        log = found[0]
        return log.scopes[self.upto - log.start - 1]

    def _eligible(self, after: int) -> Iterator[tuple[ContextLog, int, int]]:
        """Per segment, the slice [i, j) of its log's eligible entries after `after`."""
        for log, seg in self.parts:
            if seg.hi <= after:
                continue
            i = _count_through(log.eligible_versions, max(seg.lo, after))
            j = _count_through(log.eligible_versions, seg.hi)
            yield log, i, j

    def tail(self, tail_tokens: int, *, through: int | None = None) -> tuple[Entry, ...]:
        """The newest eligible entries after `through` (compacted_through by default)
        whose suffix sum fits `tail_tokens`."""
        floor = self.eligible_through(self.upto) - tail_tokens
        through = self.compacted_through if through is None else through
        picked: list[Entry] = []
        for log, i, j in reversed(list(self._eligible(through))):
            # Every entry has >= 1 token, so the sums strictly ascend and bisect is exact.
            start = max(i, bisect.bisect_left(log.eligible_sums, floor, 0, j))
            picked[:0] = [log.own(v) for v in log.eligible_versions[start:j]]
            if start > i:
                break
        return tuple(picked)

    def active_entries(self) -> tuple[Entry, ...]:
        """All eligible active entries, chronological."""
        return tuple(
            log.own(v)
            for log, i, j in self._eligible(self.compacted_through)
            for v in log.eligible_versions[i:j]
        )

    def active_tokens(self) -> int:
        """Pins + newest summary + eligible entries after its range."""
        through = self.compacted_through
        active = self.eligible_through(self.upto) - self.eligible_through(through)
        return history.active_tokens(
            pin_tokens=sum(e.token_count for e in self.pins()),
            summary=self.summary,
            eligible_tokens=active,
        )

    def lexical_top(self, text: str, *, k: int, after: int) -> list[tuple[Entry, float]]:
        """BM25's k best eligible entries after `after`, best first."""
        parts = [
            (log.lexical, max(seg.lo, after), seg.hi) for log, seg in self.parts if seg.hi > after
        ]
        return self._with_entries(top_over(parts, text, k=k))

    def semantic_top(self, query: Matrix, *, k: int, after: int) -> list[tuple[Entry, float]]:
        """Cosine's k best eligible entries after `after`, best first, ties to newer."""
        ranked: list[tuple[int, float]] = []
        for log, seg in self.parts:
            if seg.hi <= after:
                continue
            ranked.extend(log.vectors.top(query, k, max(seg.lo, after), seg.hi))
        # Segments hold distinct versions: one (version, score) each.
        return self._with_entries(best_first(dict(ranked), k))

    def place(self, entry: Entry, score: float) -> Ranked:
        """The entry's place in a ranking, with where its tool-call group's read starts
        and ends (read off the entries within TOOL_REACH either side of it)."""
        if not in_tool_group(entry):
            return ranked(entry, score)
        first = max(entry.version - TOOL_REACH - 1, 0)
        before = self.entries(after=first, limit=entry.version - 1 - first)
        after = self.entries(after=entry.version, limit=TOOL_REACH)
        return ranked(entry, score, before=before, after=after)

    def _with_entries(self, pairs: list[tuple[int, float]]) -> list[tuple[Entry, float]]:
        """(version, score) pairs of the history's versions as (entry, score), in order:
        the entries looked up in one pass (entries_at) rather than a bisect each."""
        versions = sorted(v for v, _ in pairs)
        found = dict(zip(versions, self.entries_at(versions), strict=True))
        return [(found[v], s) for v, s in pairs]

    def similar(self, query: Matrix, *, k: int) -> list[tuple[Entry, float]]:
        """The k embedded entries (any kind) most similar to the query, best first."""
        ranked: list[tuple[int, float]] = []
        for log, seg in self.parts:
            ranked.extend(log.vectors.nearest(query, k, seg.lo, seg.hi))
        ranked.sort(key=lambda item: (-item[1], item[0]))
        return [(self._entry(v), s) for v, s in ranked[:k]]

    def _entry(self, version: int) -> Entry:
        found = self.entry(version)
        if found is None:  # cannot happen: every index holds its log's own versions
            raise KeyError(version)
        return found


def _within(entries: Sequence[Entry], seg: Segment) -> Sequence[Entry]:
    # Bisects on the entries' versions (they ascend): no list of them built per call.
    lo = bisect.bisect_right(entries, seg.lo, key=_version)
    return entries[lo : bisect.bisect_right(entries, seg.hi, lo=lo, key=_version)]


def _version(entry: Entry) -> int:
    return entry.version

