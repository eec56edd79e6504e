"""Properties of the versioning rules (domain/versioning.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import EmptyBatch, VersionConflict, VersionOutOfRange
from domain.model import EntryDraft, Role
from domain.versioning import (
    batch_fingerprint,
    check_expected_version,
    check_version,
    versions_after,
)

heads = st.integers(0, 10_000)


@given(head=heads, count=st.integers(1, 1000))
def test_an_append_continues_the_head_without_gaps(head: int, count: int) -> None:
    got = versions_after(head, count)
    assert list(got) == list(range(head + 1, head + count + 1))


@given(head=heads, count=st.integers(-3, 0))
def test_an_empty_batch_gets_no_versions(head: int, count: int) -> None:
    with pytest.raises(EmptyBatch):
        versions_after(head, count)


@given(head=heads, expected=st.none() | heads)
def test_only_the_head_or_nothing_is_expected(head: int, expected: int | None) -> None:
    if expected is None or expected == head:
        check_expected_version(expected, head)
        return
    with pytest.raises(VersionConflict) as err:
        check_expected_version(expected, head)
    assert (err.value.expected, err.value.current) == (expected, head)


@given(head=heads, version=st.integers(-5, 10_005))
def test_time_travel_accepts_zero_to_head(head: int, version: int) -> None:
    if 0 <= version <= head:
        check_version(version, head)
        return
    with pytest.raises(VersionOutOfRange) as err:
        check_version(version, head)
    assert (err.value.version, err.value.head) == (version, head)


drafts = st.lists(
    st.builds(
        EntryDraft,
        role=st.sampled_from(list(Role)),
        content=st.text(max_size=20),
        token_count=st.integers(1, 100),
        pinned=st.booleans(),
        metadata=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)),
        embedding=st.none() | st.tuples(st.floats(-1, 1), st.floats(-1, 1)),
    ),
    min_size=1,
    max_size=4,
)


@given(batch=drafts)
def test_fingerprint_depends_on_the_payload_only(batch: list[EntryDraft]) -> None:
    rebuilt = [
        EntryDraft(
            role=d.role,
            content=d.content,
            token_count=d.token_count,
            pinned=d.pinned,
            # The same metadata in another insertion order is the same payload.
            metadata=dict(reversed(list(d.metadata.items()))),
            embedding=d.embedding,
        )
        for d in batch
    ]
    assert batch_fingerprint(batch) == batch_fingerprint(rebuilt)


@given(a=drafts, b=drafts)
def test_different_payloads_have_different_fingerprints(
    a: list[EntryDraft], b: list[EntryDraft]
) -> None:
    if a != b:
        assert batch_fingerprint(a) != batch_fingerprint(b)
