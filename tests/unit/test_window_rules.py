"""Properties of tool-result clearing and cache-stable windows (domain/window_rules.py)."""

from __future__ import annotations

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.cache_window import boundaries
from domain.model import Entry, Role, ToolCall
from domain.tool_clearing import CLEARED_TEXT, ToolClearing
from domain.window import Reason, ScoredEntry, Window, WindowCandidates
from domain.window_rules import WindowRules, choose_window, previous_candidates
from tests.unit.histories import T0, build_history, candidates_of, histories

STUB_TEXT_TOKENS = 4
budgets = st.integers(20, 400)


def clearing(
    keep: int = 1, trigger: int = 0, exclude: frozenset[str] = frozenset()
) -> WindowRules:
    return WindowRules(
        clearing=ToolClearing(
            keep=keep, trigger=trigger, exclude=exclude, stub_text_tokens=STUB_TEXT_TOKENS
        )
    )


def _fits(c: WindowCandidates, budget: int) -> None:
    assume(sum(e.token_count for e in c.pins) <= budget)


def valid_pairing(w: Window, history: list[Entry]) -> None:
    """Every result in the window follows its call there, and every call has all its results."""
    sent = {x.entry.version: x.entry for x in w.entries}
    for e in sent.values():
        if e.role is Role.TOOL:
            calls = [
                v for v, c in sent.items()
                if v < e.version and any(t.id == e.tool_call_id for t in c.tool_calls)
            ]
            assert calls, f"result {e.version} without its call"
        for call in e.tool_calls:
            answers = [
                h.version for h in history if h.role is Role.TOOL and h.tool_call_id == call.id
            ]
            assert all(v in sent for v in answers), f"call {e.version} without its results"


def tool_history(
    turns: int, *, result_tokens: int = 60, names: tuple[str, ...] = ("search",)
) -> list[Entry]:
    """user, assistant call, tool result, assistant answer, per turn."""
    out: list[Entry] = []

    def add(role: Role, tokens: int, **kw: object) -> None:
        v = len(out) + 1
        out.append(
            Entry(version=v, role=role, content=f"v{v}", token_count=tokens, created_at=T0, **kw)  # type: ignore[arg-type]
        )

    for i in range(turns):
        add(Role.USER, 8)
        add(Role.ASSISTANT, 5, tool_calls=(ToolCall(id=f"c{i}", name=names[i % len(names)]),))
        add(Role.TOOL, result_tokens, tool_call_id=f"c{i}")
        add(Role.ASSISTANT, 10)
    return out


# -- tool-result clearing ------------------------------------------------------------


@given(history=histories(), budget=budgets, keep=st.integers(0, 3))
def test_clearing_keeps_pairs_valid_within_budget_and_history_untouched(
    history: list[Entry], budget: int, keep: int
) -> None:
    c = candidates_of(history)
    _fits(c, budget)
    before = list(c.tail)
    w = choose_window(c, budget=budget, rules=clearing(keep))
    assert w.tokens == sum(x.entry.token_count for x in w.entries) <= budget
    valid_pairing(w, history)
    assert list(c.tail) == before  # the candidates (and so the history) are not changed
    by_version = {e.version: e for e in history}
    saved = 0
    for x in w.entries:
        original = by_version[x.entry.version]
        if x.cleared:
            assert x.entry.content == CLEARED_TEXT and original.content != CLEARED_TEXT
            assert (x.entry.role, x.entry.tool_call_id, x.entry.name) == (
                Role.TOOL, original.tool_call_id, original.name,
            )
            assert x.entry.token_count == STUB_TEXT_TOKENS + 3 < original.token_count
            saved += original.token_count - x.entry.token_count
        else:
            assert x.entry == original
    assert w.tokens_saved == saved


@given(history=histories(), budget=budgets, keep=st.integers(0, 3))
def test_the_newest_results_stay_whole_and_clearing_never_keeps_less_history(
    history: list[Entry], budget: int, keep: int
) -> None:
    c = candidates_of(history)
    _fits(c, budget)
    plain = choose_window(c, budget=budget)
    cleared = choose_window(c, budget=budget, rules=clearing(keep))
    newest = [e.version for e in c.tail if e.role is Role.TOOL][::-1][:keep]
    assert not any(x.cleared for x in cleared.entries if x.entry.version in newest)
    # The freed tokens go to more history: the recent run reaches at least as far back.
    def first_recent(w: Window) -> int:
        recent = [x.entry.version for x in w.entries if x.reason is Reason.RECENT]
        return min(recent, default=10**9)

    assert first_recent(cleared) <= first_recent(plain)


def test_excluded_tools_and_the_trigger_keep_results_whole() -> None:
    history = tool_history(12, names=("search", "read_file"))
    c = candidates_of(history)
    w = choose_window(c, budget=300, rules=clearing(1, exclude=frozenset({"read_file"})))
    cleared = [x.entry.version for x in w.entries if x.cleared]
    assert cleared  # old search results are cleared ...
    names = {e.tool_calls[0].id: e.tool_calls[0].name for e in history if e.tool_calls}
    assert all(names[x.entry.tool_call_id or ""] == "search" for x in w.entries if x.cleared)
    # ... and older read_file results stay whole.
    assert any(x.entry.role is Role.TOOL and not x.cleared for x in w.entries[:-4])
    total = sum(e.token_count for e in history)
    at_trigger = choose_window(c, budget=300, rules=clearing(1, trigger=total))
    past_trigger = choose_window(c, budget=300, rules=clearing(1, trigger=total - 1))
    assert not any(x.cleared for x in at_trigger.entries)
    assert any(x.cleared for x in past_trigger.entries)


def test_clearing_fits_more_turns_and_reports_what_it_saved() -> None:
    history = tool_history(30)
    c = candidates_of(history)
    plain = choose_window(c, budget=400)
    cleared = choose_window(c, budget=400, rules=clearing(2))
    assert len(cleared.entries) > 2 * len(plain.entries)
    assert cleared.tokens_saved == sum(60 - 7 for x in cleared.entries if x.cleared) > 0
    assert sum(not x.cleared for x in cleared.entries if x.entry.role is Role.TOOL) == 2


# -- cache-stable windows -------------------------------------------------------------


@st.composite
def long_histories(draw: st.DrawFn) -> list[Entry]:
    steps = draw(st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["user", "assistant"]), st.integers(1, 40)),
            st.tuples(st.just("system"), st.integers(1, 5)),
            st.tuples(
                st.just("call"),
                st.integers(1, 20),
                st.lists(st.integers(1, 30), min_size=1, max_size=2),
            ),
        ),
        min_size=5, max_size=60,
    ))
    return build_history(steps)


def _keys(w: Window) -> list[tuple[int, bool]]:
    return [(x.entry.version, x.cleared) for x in w.entries]


@given(history=long_histories(), budget=budgets, block=st.sampled_from([0.1, 0.25, 0.5, 1.0]))
def test_cache_stable_windows_are_valid_and_report_the_prefix_they_share(
    history: list[Entry], budget: int, block: float
) -> None:
    rules = WindowRules(cache_block=block)
    c = candidates_of(history)
    _fits(c, budget)
    w = choose_window(c, budget=budget, rules=rules)
    assert w.tokens == sum(x.entry.token_count for x in w.entries) <= budget
    valid_pairing(w, history)
    pins = [x.entry for x in w.entries if x.reason is Reason.PINNED]
    assert pins == list(c.pins) and [x.entry for x in w.entries[: len(pins)]] == pins
    # The shared prefix is the one with the window actually built on the history less its
    # newest entry.
    earlier = choose_window(candidates_of(history[:-1]), budget=budget, rules=rules)
    common = 0
    for a, b in zip(_keys(earlier), w.entries, strict=False):
        if a != (b.entry.version, b.cleared):
            break
        common += b.entry.token_count
    assert w.shared_prefix_tokens == common


@given(history=long_histories(), budget=budgets, block=st.sampled_from([0.1, 0.25, 0.5]))
def test_the_start_stays_put_until_it_jumps_to_a_boundary(
    history: list[Entry], budget: int, block: float
) -> None:
    rules = WindowRules(cache_block=block)
    c = candidates_of(history)
    _fits(c, budget)
    w = choose_window(c, budget=budget, rules=rules)
    earlier = choose_window(candidates_of(history[:-1]), budget=budget, rules=rules)
    recent = [x.entry for x in w.entries if x.reason is Reason.RECENT]
    before = [x.entry for x in earlier.entries if x.reason is Reason.RECENT]
    if recent and before and recent[0].version == before[0].version and history[-1] in recent:
        # Same start: the earlier window is a prefix of the later (a cache hit).
        assert _keys(w)[: len(earlier.entries)] == _keys(earlier)
        assert w.shared_prefix_tokens == earlier.tokens
    if recent and w.omitted_count and recent[0].version != 1:
        sliding = choose_window(c, budget=budget)
        first = [x.entry for x in sliding.entries if x.reason is Reason.RECENT]
        # Never earlier than the sliding start (so it fits), and at a boundary unless it
        # fell back to the sliding window.
        assert not first or recent[0].version >= first[0].version
        block_tokens = max(1, int((budget) * block))
        tail = list(c.tail)
        i = tail.index(recent[0])
        j = i
        while j > 0 and tail[j - 1].role is Role.TOOL:
            j -= 1
        starts = boundaries(tail, block_tokens)
        at_boundary = any(e.version in starts for e in tail[j : i + 1])
        assert at_boundary or recent == first


def test_a_long_conversation_shares_most_of_each_window() -> None:
    history: list[Entry] = build_history([("user", 12), ("assistant", 30)] * 300)
    rules = WindowRules(cache_block=0.25)
    fractions, used = [], []
    # Turns of 42 tokens against 2000: one turn is 2% of the window.
    for h in range(100, len(history) + 1, 2):
        w = choose_window(candidates_of(history[:h]), budget=2000, rules=rules)
        earlier = choose_window(candidates_of(history[: h - 2]), budget=2000, rules=rules)
        common = 0
        for a, b in zip(_keys(earlier), w.entries, strict=False):
            if a != (b.entry.version, b.cleared):
                break
            common += b.entry.token_count
        fractions.append(common / w.tokens)
        used.append(w.tokens / 2000)
    assert sum(fractions) / len(fractions) >= 0.85
    assert sum(used) / len(used) >= 0.5


def test_without_outgrowing_the_budget_a_cache_stable_window_is_the_sliding_one() -> None:
    history = build_history([("user", 10), ("assistant", 10)] * 5)
    c = candidates_of(history)
    assert _keys(choose_window(c, budget=500, rules=WindowRules(cache_block=0.25))) == _keys(
        choose_window(c, budget=500)
    )


def test_relevant_entries_come_after_the_stable_recent_run_and_before_the_latest_turn() -> None:
    history = build_history([("user", 10), ("assistant", 20)] * 40)
    c = candidates_of(history)
    relevant = (ScoredEntry(entry=history[4], score=1.0), ScoredEntry(entry=history[10], score=0.5))
    c = attrs.evolve(c, relevant=relevant)
    w = choose_window(c, budget=400, rules=WindowRules(cache_block=0.25))
    reasons = [x.reason for x in w.entries]
    assert Reason.RELEVANT in reasons
    first_rel = reasons.index(Reason.RELEVANT)
    assert all(r is Reason.RECENT for r in reasons[:first_rel])
    after = [x for x in w.entries[first_rel:] if x.reason is Reason.RECENT]
    assert [x.entry.version for x in after] == [len(history) - 1, len(history)]  # the latest turn
    assert w.tokens <= 400


def test_previous_candidates_drop_the_newest_entry_only() -> None:
    history = build_history([("user", 10), ("assistant", 10)] * 3)
    c = candidates_of(history)
    earlier = previous_candidates(c)
    assert earlier is not None and earlier.head_version == 5 and list(earlier.tail) == history[:-1]
    assert previous_candidates(candidates_of(history[:1])) is None


@given(
    history=long_histories(),
    budget=budgets,
    picks=st.lists(st.integers(0, 200), max_size=6),
    clear=st.booleans(),
    share=st.sampled_from([0.25, 0.5, 1.0]),
)
def test_query_windows_with_both_rules_stay_valid_and_keep_relevant_results_whole(
    history: list[Entry], budget: int, picks: list[int], clear: bool, share: float
) -> None:
    c = candidates_of(history)
    _fits(c, budget)
    assume(c.tail)
    found = {c.tail[i % len(c.tail)].version: c.tail[i % len(c.tail)] for i in picks}
    relevant = tuple(
        ScoredEntry(entry=e, score=1.0 / (1 + n)) for n, e in enumerate(found.values())
    )
    c = attrs.evolve(c, relevant=relevant)
    rules = WindowRules(
        clearing=clearing(0).clearing if clear else None, cache_block=0.25
    )
    w = choose_window(c, budget=budget, rules=rules, share=share)
    assert w.tokens == sum(x.entry.token_count for x in w.entries) <= budget
    valid_pairing(w, history)
    assert not any(x.cleared for x in w.entries if x.entry.version in found)
    assert w.shared_prefix_tokens is not None and 0 <= w.shared_prefix_tokens <= w.tokens
    reasons = [x.reason for x in w.entries]
    if Reason.RELEVANT in reasons:
        # Relevant entries sit between the older recent run and the latest turn.
        first = reasons.index(Reason.RELEVANT)
        last = len(reasons) - reasons[::-1].index(Reason.RELEVANT)
        assert all(r is Reason.RELEVANT for r in reasons[first:last])
