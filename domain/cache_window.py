"""Cache-stable windows: a start that moves in blocks, so consecutive windows share a prefix.

A provider's prompt cache matches a prefix; a sliding window moves its start on every
turn and misses every time. Here the window starts at a *block boundary*: the first one
at or after where the sliding window would start. Boundaries are fixed by the entries
alone, by winnowing (as content-defined chunking picks chunk edges): every run of entries
spanning `2 x block` tokens elects its entry of least hash (a fixed hash of the version),
so boundaries lie about `block` tokens apart and never more than `2 x block` (plus one
entry). The start stays put while the window grows, then jumps about a block at once;
the same history gives the same boundaries on every call, store and fork, and no
running token sum has to be read. Only runs that end before the newest entries are
complete, so a boundary can still appear within the last `2 x block` tokens.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence

from domain.model import Entry, Role

_MASK = (1 << 64) - 1
# Reading this much tail (in multiples of the available tokens) lets the window at the
# previous head be rebuilt to report the shared prefix.
CACHE_REACH = 3


def _mix(version: int) -> int:
    # splitmix64's finalizer: a fixed, well-spread hash that no process seed changes.
    z = (version * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def block_tokens(available: int, share: float) -> int:
    """The mean block, in tokens, for a window of `available` tokens."""
    return max(1, math.floor(available * share))


def boundaries(tail: Sequence[Entry], block: int) -> set[int]:
    """The versions in `tail` at which a block starts: each complete run of entries that
    spans at most `2 x block` tokens (and cannot take the next entry) elects its entry of
    least hash."""
    width = 2 * block
    found: set[int] = set()
    # Indices of the run's entries by ascending hash, the candidates for its least.
    best: collections.deque[int] = collections.deque()
    hashes = [_mix(e.version) for e in tail]
    end = 0  # the run is tail[start:end]
    used = 0
    for start in range(len(tail)):
        if end < start + 1:
            end, used = start + 1, tail[start].token_count
            best.clear()
            best.append(start)
        while end < len(tail) and used + tail[end].token_count <= width:
            while best and hashes[best[-1]] >= hashes[end]:
                best.pop()
            best.append(end)
            used += tail[end].token_count
            end += 1
        if end == len(tail):
            break  # this run and all later ones reach the newest entry: not complete yet
        while best[0] < start:
            best.popleft()
        found.add(tail[best[0]].version)
        used -= tail[start].token_count
    return found


def stable_start(run: Sequence[Entry], sliding: int, starts: set[int]) -> int | None:
    """The index in `run` where a cache-stable window starts, given where the sliding
    window starts: the first boundary (a version in `starts`) at or after it, moved past
    tool results (they cannot open a window); None when none is left before the newest."""
    for i in range(sliding, len(run)):
        if run[i].version in starts:
            start = i
            while start < len(run) and run[start].role is Role.TOOL:
                start += 1
            return start if start < len(run) else None
    return None


def suffix_start(tail: Sequence[Entry], available: int) -> int:
    """Where the longest suffix of `tail` that fits `available` tokens starts."""
    used = 0
    start = len(tail)
    while start > 0 and used + tail[start - 1].token_count <= available:
        start -= 1
        used += tail[start].token_count
    return start


Keyed = Sequence[tuple[int, bool, int]]


def shared_prefix(earlier: Keyed, later: Keyed) -> int:
    """Tokens of the longest common prefix of two windows given as (version, cleared,
    tokens) per entry, counted in the later window."""
    shared = 0
    for a, b in zip(earlier, later, strict=False):
        if a[:2] != b[:2]:
            break
        shared += b[2]
    return shared
