"""Cache-stable windows: a start that moves in blocks, so consecutive windows share a prefix.

A provider's prompt cache matches a prefix; a sliding window moves its start on every
turn and misses every time. Here the window starts at a *block boundary*: the first one
at or after where the sliding window would start. Boundaries are fixed per entry, from
its version and token count alone (as content-defined chunking picks chunk edges), about
one per `block` tokens: each entry is a boundary with probability tokens/block, decided by
a hash of its version. So the start stays put while the window grows, then jumps a block
at once; the same history gives the same boundaries on every call, store and fork, and no
running token sum has to be read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.model import Entry, Role

_MASK = (1 << 64) - 1
# Reading this much tail (in multiples of the available tokens) lets the window at the
# previous head be rebuilt to report the shared prefix.
CACHE_REACH = 2


def _mix(version: int) -> int:
    # splitmix64's finalizer: a fixed, well-spread hash that no process seed changes.
    z = (version * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def block_tokens(available: int, share: float) -> int:
    """The mean block, in tokens, for a window of `available` tokens."""
    return max(1, math.floor(available * share))


def is_boundary(entry: Entry, block: int) -> bool:
    """Whether a block starts at `entry`: with probability tokens/block, by its version."""
    if entry.token_count >= block:
        return True
    return _mix(entry.version) < (entry.token_count << 64) // block


def stable_start(tail: Sequence[Entry], sliding: int, block: int) -> int | None:
    """The index in `tail` where a cache-stable window starts, given where the sliding
    window starts: the first boundary at or after it, moved past tool results (they cannot
    open a window); None when no boundary is left before the newest entry."""
    for i in range(sliding, len(tail)):
        if is_boundary(tail[i], block):
            start = i
            while start < len(tail) and tail[start].role is Role.TOOL:
                start += 1
            return start if start < len(tail) else None
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
