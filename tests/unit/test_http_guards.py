"""The raw-byte guards agree with a real JSON parser on depth and on lone surrogates."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.guards import has_lone_surrogate, json_depth_exceeds

# Text with brackets, quotes, backslashes and surrogates in it, to trip a naive scanner.
TEXT = st.text(
    alphabet=st.sampled_from([*'[]{}"\\abu', "\ud800", "\udc00", "\U0001f600"]),
    max_size=12,
)
JSON = st.recursive(
    st.none() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _lone(value: Any) -> bool:
    # What a JSON parser reads back: a high half escaped right before a low half is one
    # astral character there (JSON has no other way to write it), whatever Python held.
    parsed = json.loads(json.dumps(value))
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@given(JSON, st.integers(min_value=0, max_value=6))
def test_depth_matches_the_parsed_value(value: Any, limit: int) -> None:
    body = json.dumps(value).encode()
    assert json_depth_exceeds(body, limit) == (_depth(value) > limit)


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=100))
def test_unclosed_openers_past_the_limit_are_refused(n: int, limit: int) -> None:
    assert json_depth_exceeds(b"[" * n, limit) == (n > limit)


@given(JSON)
def test_lone_surrogates_are_found_exactly(value: Any) -> None:
    # json.dumps escapes every non-ASCII character: pairs for astral ones, lone halves alone.
    body = json.dumps(value).encode()
    assert has_lone_surrogate(body) == _lone(value)
