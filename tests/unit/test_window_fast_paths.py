"""The window's fast paths give what the plain ones gave: stored_entry is Entry(...), and
WindowEntries and the one-pass assembly match a window built one WindowEntry at a time."""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.model import Entry, TokenSource, stored_entry
from domain.tool_groups import EntryPool, closure
from domain.window import (
    Reason,
    Window,
    WindowCandidates,
    WindowEntries,
    WindowEntry,
    assemble_window,
    known_entries,
    omitted_ranges,
    recent_suffix,
    select_window,
    window_head,
)
from tests.unit.histories import candidate_sets, histories

# --- a model of the window assembly as it was: one WindowEntry per entry, sorted whole ---


def _model_whole(c: WindowCandidates, chosen: list[WindowEntry]) -> list[WindowEntry]:
    pool = EntryPool(known_entries(c))
    versions = {w.entry.version for w in chosen}
    kept = []
    for w in chosen:
        group = closure(w.entry, pool)
        if group is not None and all(e.version in versions for e in group):
            kept.append(w)
    return kept


def _model_order(latest: int | None) -> Callable[[WindowEntry], tuple[int, int]]:
    def order(w: WindowEntry) -> tuple[int, int]:
        v = w.entry.version
        if w.reason is Reason.SUMMARY:
            return (0, v)
        if latest is None:
            return (1, v)
        if w.reason is Reason.RELEVANT:
            return (2, v)
        return (1 if v < latest else 3, v)

    return order


def _model_assemble(
    c: WindowCandidates, chosen: list[WindowEntry], budget: int, reserve: int, latest: int | None
) -> Window:
    chosen = _model_whole(c, chosen)
    pins = [w for w in chosen if w.reason is Reason.PINNED]
    rest = sorted((w for w in chosen if w.reason is not Reason.PINNED), key=_model_order(latest))
    omitted = omitted_ranges(
        c.compacted_through + 1, c.head_version, [w.entry.version for w in chosen]
    )
    return Window(
        entries=tuple(pins + rest),
        tokens=sum(w.entry.token_count for w in chosen),
        budget=budget,
        reserve=reserve,
        head_version=c.head_version,
        omitted_count=sum(r.size for r in omitted),
        omitted=omitted,
        summary_covers=c.summary.covers if c.summary is not None else None,
        approximate=any(w.entry.token_source is TokenSource.ESTIMATED for w in chosen),
    )


def _fits(c: WindowCandidates, budget: int) -> None:
    assume(sum(e.token_count for e in c.pins) <= budget)


@given(c=candidate_sets, budget=st.integers(1, 400))
def test_select_window_matches_the_model(c: WindowCandidates, budget: int) -> None:
    _fits(c, budget)
    head, used = window_head(c, budget=budget, reserve=0)
    recent = recent_suffix(c.tail, budget - used)
    chosen = head + [WindowEntry(entry=e, reason=Reason.RECENT) for e in recent]
    expected = _model_assemble(c, chosen, budget, 0, None)
    got = select_window(c, budget=budget)
    assert got == expected
    assert list(got.entries) == list(expected.entries)
    assert got.versions == expected.versions


@given(c=candidate_sets, seed=st.integers(0, 2**16), latest=st.none() | st.integers(0, 40))
def test_assemble_window_matches_the_model_in_any_order(
    c: WindowCandidates, seed: int, latest: int | None
) -> None:
    # Any chosen entries, shuffled, some relevant with scores, some cleared: the order,
    # the groups, the accounting and the reasons all come out as the model's.
    rnd = random.Random(seed)
    chosen = [WindowEntry(entry=e, reason=Reason.PINNED) for e in c.pins]
    if c.summary is not None:
        chosen.append(WindowEntry(entry=c.summary, reason=Reason.SUMMARY))
    for e in c.tail:
        if rnd.random() < 0.3:
            chosen.append(
                WindowEntry(entry=e, reason=Reason.RELEVANT, score=rnd.random(), cleared=True)
            )
        elif rnd.random() < 0.8:
            chosen.append(WindowEntry(entry=e, reason=Reason.RECENT))
    rest = chosen[len(c.pins) :]
    rnd.shuffle(rest)
    chosen = chosen[: len(c.pins)] + rest
    got = assemble_window(c, chosen, budget=1000, reserve=0, latest_turn=latest)
    assert got == _model_assemble(c, chosen, 1000, 0, latest)


@given(history=histories())
def test_window_entries_read_as_the_window_entries_they_hold(history: list[Entry]) -> None:
    items = tuple(
        WindowEntry(entry=e, reason=Reason.RELEVANT if e.version % 2 else Reason.RECENT,
                    score=e.version / 7 if e.version % 2 else None, cleared=e.version % 3 == 0)
        for e in history
    )  # fmt: skip
    held = WindowEntries.of(items)
    assert held == items and tuple(held) == items and len(held) == len(items)
    assert held == WindowEntries.of(list(items)) == WindowEntries.of(held)
    assert [held[i] for i in range(len(items))] == list(items)
    assert held[1:] == items[1:] and held[-1:] == items[-1:]
    assert list(held.rows()) == [(w.entry, w.reason, w.score, w.cleared) for w in items]
    assert held.chosen == tuple(w.entry for w in items)
    assert Window(
        entries=items, tokens=0, budget=1, reserve=0, head_version=0, omitted_count=0,
        omitted=(), summary_covers=None, approximate=False,
    ).entries == held  # fmt: skip
    if items:
        assert held != items[:-1]
        assert held != WindowEntries.of(items[:-1])


def test_window_entries_refuse_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        WindowEntries([], [Reason.RECENT])


def test_stored_entry_sets_every_field_of_entry_in_order() -> None:
    # A field added to Entry must be added to stored_entry too, or this fails.
    assert stored_entry.__code__.co_varnames[: stored_entry.__code__.co_argcount] == tuple(
        f.name for f in attrs.fields(Entry)
    )


@given(history=histories())
def test_stored_entry_is_the_entry_of_the_same_values(history: list[Entry]) -> None:
    for e in history:
        values = attrs.astuple(e, recurse=False)
        copy = stored_entry(*values)  # type: ignore[arg-type]
        assert copy == e and repr(copy) == repr(e) and type(copy) is Entry
        assert attrs.astuple(copy, recurse=False) == values
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            copy.version = 0  # type: ignore[misc]


def test_the_head_window_statement_stays_parsed_by_psycopg() -> None:
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from adapters.postgres import queries, store

    assert len(store._WINDOW) <= MAX_CACHED_STATEMENT_LENGTH
    # Only comments and layout go: the statement's words are the same, in order.
    words = [w for line in queries.WINDOW.splitlines()
             for w in line.split("--")[0].split()]  # fmt: skip
    assert store._WINDOW.split() == words
    assert store.squeezed("SELECT 'a' AS x -- why\n  -- note\n  FROM t") == (
        "SELECT 'a' AS x\nFROM t"
    )
    # A `--` inside a literal: the line is kept whole rather than risk cutting it.
    assert store.squeezed("  SELECT 'a -- b' -- why") == "SELECT 'a -- b' -- why"


def test_the_common_append_statement_stays_parsed_by_psycopg() -> None:
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from adapters.postgres import queries, store

    # Neither quotas nor a key (the default deployment, most requests): kept parsed.
    assert len(store._APPENDS[False, False]) <= MAX_CACHED_STATEMENT_LENGTH
    full = queries.append_statement(quota=True, key=True)
    for (quota_on, keyed), sql in store._APPENDS.items():
        assert ("INSERT INTO tenant_usage" in sql) is quota_on
        assert ("INSERT INTO idempotency_keys" in sql) is keyed
        # Each variant is the full statement less the parts that do not apply.
        assert set(sql.split()) <= set(store.squeezed(full).split())


def test_an_int_array_literal_holds_the_integers_in_order() -> None:
    from adapters.postgres.rows import int_array

    assert int_array([]) == "{}"
    assert int_array([3, 1, 2**31 - 1]) == "{3,1,2147483647}"
    assert int_array(iter([True, 7])) == "{1,7}"
