"""Checks on a request before anything parses it: query names, JSON depth, lone surrogates.

They work on raw bytes with C-speed primitives (regular expressions, bytes.replace), so
a hostile body is refused before a recursive parser sees it, and an ordinary one costs a
few microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A JSON string, escapes and all (possessive: no backtracking on hostile input).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.S)
_OPENERS_CLOSERS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# A \u escape in the surrogate range, or an escaped backslash (consumed so that `\\ud800`,
# the text "\ud800", is not taken for one).
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPE = re.compile(rb"\\\\|\\u([dD][89a-fA-F][0-9a-fA-F]{2})")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when the JSON nests arrays/objects deeper than `limit` (or its brackets do not
    balance beyond it): strings are skipped, then innermost pairs are removed a level at
    a time, so the cost is `depth` passes over the bracket skeleton."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    skeleton = _STRING.sub(b"", body).translate(_OPENERS_CLOSERS, _NOT_BRACKETS)
    for _ in range(limit):
        if not skeleton:
            return False
        shorter = skeleton.replace(b"()", b"")
        if len(shorter) == len(skeleton):
            break  # unbalanced: the parser says so
        skeleton = shorter
    if not skeleton:
        return False
    return b"()" in skeleton or _deeper_than(skeleton, limit)


def _deeper_than(skeleton: bytes, limit: int) -> bool:
    # What is left after the passes: pairs still nested (too deep), or unbalanced
    # brackets; an opener run longer than the limit is refused either way.
    run = 0
    for byte in skeleton:
        run = run + 1 if byte == 0x28 else 0
        if run > limit:
            return True
    return False


def has_lone_surrogate(body: bytes) -> bool:
    """True when a JSON string escapes half of a surrogate pair without the other half."""
    if _MAYBE_SURROGATE.search(body) is None:
        return False
    pending_high = -1  # end offset of a high surrogate escape awaiting its low half
    for match in _ESCAPE.finditer(body):
        unit = match.group(1)
        if unit is None:
            if pending_high >= 0:
                return True
            continue
        high = unit[1:2].lower() in (b"8", b"9", b"a", b"b")
        if pending_high >= 0:
            if high or match.start() != pending_high:
                return True
            pending_high = -1
        elif high:
            pending_high = match.end()
        else:
            return True
    return pending_high >= 0


def unknown_names(given: Iterable[str], allowed: frozenset[str]) -> list[str]:
    """The given query parameter names the route does not take, sorted."""
    return sorted({name for name in given if name not in allowed})
