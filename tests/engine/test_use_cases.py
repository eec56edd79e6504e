"""The engine's use cases over the memory store: counting, windows, compaction, forks."""

from __future__ import annotations

import attrs
import pytest

from adapters.tokens import OfflineTokenCounter
from domain.errors import (
    BudgetTooSmall,
    DimensionMismatch,
    EmptyBatch,
    InvalidInput,
    NothingToCompact,
    VersionConflict,
    VersionOutOfRange,
)
from domain.model import ContextChanges, EntryKind, Message, Policy, Role, TokenSource
from domain.tokens import FRAMING_TOKENS
from domain.window import Reason
from entrypoints.engine import MAX_BATCH, Engine
from tests.engine.conftest import TENANT


def _say(n: int, *, tokens: int | None = None) -> list[Message]:
    return [Message(role="user", content=f"message {i}", token_count=tokens) for i in range(n)]


def test_append_counts_tokens_with_the_policy_encoding(
    engine: Engine, counter: OfflineTokenCounter
) -> None:
    ctx = engine.create_context(TENANT, policy=Policy(encoding="o200k_base"))
    text = "The quick brown fox jumps over the lazy dog."
    engine.append(
        TENANT,
        ctx.id,
        [
            Message(role="user", content=text),
            Message(role="user", content=text, name="alice"),
            Message(role="user", content=text, token_count=99),
        ],
    )
    plain, named, client = engine.entries(TENANT, ctx.id).items
    exact = counter.count([text], encoding="o200k_base")[0].tokens
    assert plain.token_count == exact + FRAMING_TOKENS and plain.token_source is TokenSource.COUNTED
    assert named.token_count == exact + FRAMING_TOKENS + 1
    assert client.token_count == 99 and client.token_source is TokenSource.CLIENT
    assert engine.get_context(TENANT, ctx.id).token_total == sum(
        e.token_count for e in (plain, named, client)
    )


def test_unknown_encodings_are_estimated_and_marked(engine: Engine) -> None:
    ctx = engine.create_context(TENANT, policy=Policy(encoding="mystery-bpe"))
    engine.append(TENANT, ctx.id, [Message(role="user", content="x" * 40)])
    (entry,) = engine.entries(TENANT, ctx.id).items
    assert entry.token_source is TokenSource.ESTIMATED
    assert entry.token_count == 10 + FRAMING_TOKENS
    assert engine.window(TENANT, ctx.id).approximate


def test_append_refuses_empty_and_oversized_batches(engine: Engine) -> None:
    ctx = engine.create_context(TENANT)
    with pytest.raises(EmptyBatch):
        engine.append(TENANT, ctx.id, [])
    with pytest.raises(InvalidInput):
        engine.append(TENANT, ctx.id, _say(MAX_BATCH + 1, tokens=1))
    assert engine.get_context(TENANT, ctx.id).head_version == 0


def test_idempotent_retry_through_the_engine(engine: Engine) -> None:
    ctx = engine.create_context(TENANT)
    first = engine.append(TENANT, ctx.id, _say(2), idempotency_key="abc")
    again = engine.append(TENANT, ctx.id, _say(2), idempotency_key="abc")
    assert again.replayed and again.first_version == first.first_version == 1
    assert engine.get_context(TENANT, ctx.id).head_version == 2


def test_a_retry_stays_a_retry_when_the_server_would_count_it_differently(
    engine: Engine,
) -> None:
    # The key guards what the client sent, not the token counts the server derived.
    ctx = engine.create_context(TENANT)
    batch = [Message(role="user", content="東京タワーの夜景はとても綺麗です。")]
    first = engine.append(TENANT, ctx.id, batch, idempotency_key="k1")
    engine.update_context(TENANT, ctx.id, ContextChanges(policy=Policy(encoding="o200k_base")))
    again = engine.append(TENANT, ctx.id, batch, idempotency_key="k1")
    assert again.replayed and again.first_version == first.first_version
    assert engine.get_context(TENANT, ctx.id).head_version == 1


def test_embeddings_must_match_the_deployment_dimension(engine: Engine) -> None:
    ctx = engine.create_context(TENANT)
    with pytest.raises(DimensionMismatch):
        engine.append(TENANT, ctx.id, [Message(role="user", embedding=(1.0, 2.0))])
    engine.append(TENANT, ctx.id, [Message(role="user", content="a", embedding=(1, 0, 0, 0))])
    hits = engine.search(TENANT, [1.0, 0.0, 0.0, 0.0], k=1)
    assert [h.entry.content for h in hits] == ["a"]
    with pytest.raises(DimensionMismatch):
        engine.search(TENANT, [1.0], k=1)


def test_window_uses_the_policy_budget_and_keeps_pins(engine: Engine) -> None:
    ctx = engine.create_context(TENANT, policy=Policy(budget=100, reserve=20, summary_tokens=20))
    engine.append(TENANT, ctx.id, [Message(role="system", content="rules", token_count=10)])
    engine.append(TENANT, ctx.id, _say(30, tokens=10))
    w = engine.window(TENANT, ctx.id)
    assert (w.budget, w.reserve) == (100, 20)
    assert w.entries[0].reason is Reason.PINNED and w.entries[0].entry.version == 1
    assert [x.entry.version for x in w.entries[1:]] == list(range(25, 32))
    assert w.tokens == 80 and w.omitted_count == 23
    wide = engine.window(TENANT, ctx.id, budget=1000, reserve=0)
    assert wide.omitted_count == 0 and wide.tokens == 310
    with pytest.raises(BudgetTooSmall) as err:
        engine.window(TENANT, ctx.id, budget=9, reserve=0)
    assert err.value.needed == 10
    with pytest.raises(InvalidInput):
        engine.window(TENANT, ctx.id, budget=10, reserve=10)


def test_windows_follow_a_policy_changed_by_another_engine(engine: Engine) -> None:
    # Another process sharing the store: the policy this engine saw last is only a guess.
    other = attrs.evolve(engine)
    ctx = engine.create_context(TENANT, policy=Policy(budget=100, reserve=20))
    engine.append(TENANT, ctx.id, _say(30, tokens=10))
    assert engine.window(TENANT, ctx.id).tokens == 80
    for policy, tokens in ((Policy(budget=300), 300), (Policy(budget=50, reserve=10), 40)):
        other.update_context(TENANT, ctx.id, ContextChanges(policy=policy))
        w = engine.window(TENANT, ctx.id)
        assert (w.budget, w.reserve, w.tokens) == (policy.budget, policy.reserve, tokens)
        assert engine.window(TENANT, ctx.id, budget=200).tokens == 200 - policy.reserve


def test_appends_count_and_compact_under_a_policy_changed_by_another_engine(
    engine: Engine, counter: OfflineTokenCounter
) -> None:
    other = attrs.evolve(engine)
    ctx = engine.create_context(TENANT)
    text = "東京タワーの夜景はとても綺麗です。"  # 23 tokens in cl100k_base, 15 in o200k_base
    engine.append(TENANT, ctx.id, [Message(role="user", content=text)])
    compacting = Policy(encoding="o200k_base", enabled=True, budget=100, keep_recent=1)
    other.update_context(TENANT, ctx.id, ContextChanges(policy=compacting))
    engine.append(TENANT, ctx.id, _say(12, tokens=10))
    (second,) = engine.entries(TENANT, ctx.id, after=1, limit=1).items
    assert second.token_count == 10
    done = engine.append(TENANT, ctx.id, [Message(role="user", content=text)])
    (last,) = engine.entries(TENANT, ctx.id, after=done.last_version - 1, limit=1).items
    assert (
        last.token_count == counter.count([text], encoding="o200k_base")[0].tokens + FRAMING_TOKENS
    )
    kinds = [e.kind for e in engine.state_at(TENANT, ctx.id, done.last_version)]
    assert EntryKind.SUMMARY in kinds


def test_state_at_reads_every_page(engine: Engine) -> None:
    ctx = engine.create_context(TENANT)
    for _ in range(3):
        engine.append(TENANT, ctx.id, _say(MAX_BATCH, tokens=1))
    state = engine.state_at(TENANT, ctx.id, 2500)
    assert [e.version for e in state] == list(range(1, 2501))
    assert engine.state_at(TENANT, ctx.id, 0) == ()
    with pytest.raises(VersionOutOfRange):
        engine.state_at(TENANT, ctx.id, 3001)


def test_version_state_gives_the_added_entry_with_any_page(engine: Engine) -> None:
    ctx = engine.create_context(TENANT)
    engine.append(TENANT, ctx.id, [Message(role=Role.USER, content=f"m{i}") for i in range(9)])
    first = engine.version_state(TENANT, ctx.id, 6, limit=2)
    assert [e.version for e in first.page.items] == [1, 2] and first.page.next_cursor == "2"
    assert first.entry is not None and first.entry.content == "m5"
    last = engine.version_state(TENANT, ctx.id, 6, after=4, limit=5)
    assert [e.version for e in last.page.items] == [5, 6] and last.page.next_cursor is None
    assert last.entry == first.entry
    empty = engine.version_state(TENANT, ctx.id, 0)
    assert empty.entry is None and empty.page.items == ()
    with pytest.raises(VersionOutOfRange):
        engine.version_state(TENANT, ctx.id, 10)


def test_fork_defaults_to_the_head_and_names_itself(engine: Engine) -> None:
    ctx = engine.create_context(TENANT, name="trip")
    engine.append(TENANT, ctx.id, _say(4, tokens=2))
    child = engine.fork(TENANT, ctx.id)
    assert child.fork_version == 4 and child.name == "trip (fork at 4)"
    early = engine.fork(TENANT, ctx.id, version=2, name="early")
    assert engine.state_at(TENANT, early.id, 2) == engine.state_at(TENANT, ctx.id, 2)
    assert [c.id for c in engine.forks(TENANT, ctx.id)] == [child.id, early.id]
    with pytest.raises(VersionOutOfRange):
        engine.fork(TENANT, ctx.id, version=5)


def test_compaction_happens_automatically_when_enabled_and_due(engine: Engine) -> None:
    policy = Policy(budget=200, threshold=0.5, keep_recent=3, enabled=True, summary_tokens=60)
    ctx = engine.create_context(TENANT, policy=policy)
    engine.append(TENANT, ctx.id, _say(9, tokens=10))
    assert engine.get_context(TENANT, ctx.id).compacted_through == 0  # 90 < 100
    engine.append(TENANT, ctx.id, _say(1, tokens=10))  # 100 tokens: due
    after = engine.get_context(TENANT, ctx.id)
    assert after.head_version == 11 and after.compacted_through == 7
    summary = engine.entries(TENANT, ctx.id, after=10).items[0]
    assert summary.kind is EntryKind.SUMMARY and summary.role is Role.SYSTEM
    assert summary.covers is not None and (summary.covers.first, summary.covers.last) == (1, 7)
    record = summary.metadata["compaction"]
    assert record["tokens_before"] == 100
    assert record["tokens_after"] == 30 + summary.token_count
    assert summary.token_count <= policy.summary_limit + FRAMING_TOKENS
    w = engine.window(TENANT, ctx.id)
    assert w.entries[0].reason is Reason.SUMMARY
    assert [x.entry.version for x in w.entries] == [11, 8, 9, 10]
    assert w.summary_covers is not None and w.summary_covers.last == 7
    # Covered entries stay readable by time travel.
    assert len(engine.state_at(TENANT, ctx.id, 7)) == 7


def test_no_automatic_compaction_when_disabled(engine: Engine) -> None:
    ctx = engine.create_context(
        TENANT, policy=Policy(budget=100, threshold=0.1, keep_recent=1, summary_tokens=20)
    )
    engine.append(TENANT, ctx.id, _say(20, tokens=10))
    assert engine.get_context(TENANT, ctx.id).compacted_through == 0
    assert engine.get_context(TENANT, ctx.id).head_version == 20


def test_forced_compaction_and_its_limits(engine: Engine) -> None:
    ctx = engine.create_context(TENANT, policy=Policy(budget=1000, keep_recent=2))
    engine.append(TENANT, ctx.id, _say(2, tokens=10))
    with pytest.raises(NothingToCompact):
        engine.compact(TENANT, ctx.id)  # not due
    with pytest.raises(NothingToCompact):
        engine.compact(TENANT, ctx.id, force=True)  # only the kept entries
    engine.append(TENANT, ctx.id, _say(3, tokens=10))
    done = engine.compact(TENANT, ctx.id, force=True)
    assert done.append.first_version == 6
    assert done.summary.covers is not None and done.summary.covers.last == 3
    # A second forced compaction folds the previous summary into the next one.
    engine.append(TENANT, ctx.id, _say(3, tokens=10))
    again = engine.compact(TENANT, ctx.id, force=True)
    assert again.summary.covers is not None and again.summary.covers.last == 7
    assert "message 0" in str(again.summary.content)
    view = engine.store.compaction_view(TENANT, ctx.id)
    assert [e.version for e in view.entries] == [8, 9]


def test_append_all_sends_any_length_in_batches_and_resumes_under_its_key(
    engine: Engine,
) -> None:
    ctx = engine.create_context(TENANT)
    many = _say(2 * MAX_BATCH + 5, tokens=1)
    done = engine.append_all(TENANT, ctx.id, many, idempotency_key="import-1")
    assert [(r.first_version, r.last_version) for r in done] == [
        (1, MAX_BATCH), (MAX_BATCH + 1, 2 * MAX_BATCH), (2 * MAX_BATCH + 1, 2 * MAX_BATCH + 5),
    ]
    again = engine.append_all(TENANT, ctx.id, many, idempotency_key="import-1")
    assert all(r.replayed for r in again)
    assert engine.get_context(TENANT, ctx.id).head_version == 2 * MAX_BATCH + 5
    with pytest.raises(VersionConflict):
        engine.append_all(TENANT, ctx.id, many, expected_version=3)
    with pytest.raises(EmptyBatch):
        engine.append_all(TENANT, ctx.id, [])
