"""Copy-on-write lineage: which stored context holds each version of a history.

A fork shares its parent's versions 1..N instead of copying them. Each context records
its *base*: the segments of other contexts its history starts with, oldest first, each
`(source, last)` covering the versions after the previous segment's last, up to `last`.
The context's own versions follow the base. A fork of a fork flattens the chain: the
child's base is the parent's segments cut at N, so reading any version is one lookup in
a list no longer than the number of ancestors whose versions it uses, whatever the depth.

Both stores apply these rules (adapters/postgres/queries.py restates them in SQL over the
contexts row's `lineage_ids`/`lineage_ends` arrays; the contract suite holds the two
together).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import attrs

from domain.records import Record


@attrs.frozen(repr=False, eq=False)
class Segment(Record):
    """Versions (lo, hi] of a history, stored under context `source`."""

    source: str
    lo: int
    hi: int


@attrs.frozen(repr=False, eq=False)
class Base(Record):
    """A context's shared prefix: ancestors' segments as (source, last), oldest first."""

    sources: tuple[str, ...] = ()
    ends: tuple[int, ...] = ()

    @property
    def start(self) -> int:
        """The context's own versions are those after this one."""
        return self.ends[-1] if self.ends else 0


def segments(base: Base, own: str, upto: int) -> tuple[Segment, ...]:
    """The segments of a history through version `upto`, oldest first (empty ones dropped)."""
    los = (0, *base.ends)
    his = (*base.ends, upto)
    sources = (*base.sources, own)
    return tuple(
        Segment(source=s, lo=lo, hi=min(hi, upto))
        for s, lo, hi in zip(sources, los, his, strict=True)
        if lo < upto
    )


def fork_base(parent: Sequence[Segment]) -> Base:
    """The base of a fork at N: the parent's segments through N (`segments(..., N)`)."""
    return Base(sources=tuple(s.source for s in parent), ends=tuple(s.hi for s in parent))


def holding(parts: Sequence[Segment], version: int) -> Segment | None:
    """The segment that holds `version`, if any."""
    i = bisect.bisect_left([s.hi for s in parts], version)
    if i < len(parts) and parts[i].lo < version <= parts[i].hi:
        return parts[i]
    return None


def shared_through(bases: Sequence[Base], source: str) -> int:
    """The last version of `source` any of these bases still shares (0: none)."""
    return max(
        (end for b in bases for s, end in zip(b.sources, b.ends, strict=True) if s == source),
        default=0,
    )
