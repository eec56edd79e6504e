"""Receipts (ports.receipts) through the engine, on every adapter: a recorded window is
given back exactly, whatever happened to the context since."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import ContextNotFound, InvalidInput, ReceiptNotFound, SummaryNotShorter
from domain.model import Message, Policy, Role, ToolCall
from domain.receipts import WindowAsked, embedding_hash, query_hash, receipt_of
from domain.retention import RetentionDays
from domain.window import Reason
from entrypoints.engine import Engine, Store
from tests.conftest import FakeClock
from tests.contract.support import engine_over, make_context, vec


def _history(n: int) -> list[Message]:
    out = [Message(role=Role.SYSTEM, content="You are terse.", token_count=5)]
    for i in range(1, n + 1):
        out.append(Message(role=Role.USER if i % 2 else Role.ASSISTANT,
                           content=f"turn {i} about the {'harbour' if i % 7 == 0 else 'weather'}",
                           token_count=10, embedding=vec(1.0, i / n)))
    return out


def _tool_turn(call_id: str, *, long: bool = False) -> list[Message]:
    call = ToolCall(id=call_id, name="lookup", arguments='{"q": "tide"}')
    # A long result is worth clearing (a stub is shorter); a short one never is.
    result = "tide table: " + "high at six, low at noon; " * 8 if long else "high tide at six"
    return [
        Message(role=Role.ASSISTANT, content="", tool_calls=(call,), token_count=8),
        Message(role=Role.TOOL, content=result, tool_call_id=call_id,
                token_count=60 if long else 6),
    ]


def test_a_receipt_returns_the_exact_window_after_later_appends_and_a_compaction(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant, name="receipts")
    engine.append(tenant, ctx.id, [*_history(40), *_tool_turn("c1")])
    recency = engine.window(tenant, ctx.id, budget=200, record=True)
    query = engine.window(tenant, ctx.id, budget=200, query="harbour",
                          query_embedding=vec(1.0, 0.1), record=True)
    assert recency.receipt_id and query.receipt_id and recency.receipt_id != query.receipt_id
    assert {w.reason for w in query.entries} >= {Reason.PINNED, Reason.RELEVANT, Reason.RECENT}
    assert any(w.entry.role is Role.TOOL for w in recency.entries)

    engine.append(tenant, ctx.id, _history(30)[1:])
    compacted = engine.compact(tenant, ctx.id, force=True)
    engine.append(tenant, ctx.id, _tool_turn("c2"))
    now = engine.window(tenant, ctx.id, budget=200)
    assert compacted.summary.covers is not None
    assert now.summary_covers == compacted.summary.covers and now != recency

    for sent in (recency, query):
        assert sent.receipt_id is not None
        got = engine.receipt(tenant, ctx.id, sent.receipt_id)
        assert got.window == sent  # entries (text, tokens, times), reasons, scores, accounting
        assert got.receipt.head_version == sent.head_version == 43
        assert got.receipt.versions == tuple(w.entry.version for w in sent.entries)
    asked = engine.receipt(tenant, ctx.id, query.receipt_id).receipt.asked
    assert asked.query_hash == query_hash("harbour")
    assert asked.query_embedding_hash == embedding_hash(vec(1.0, 0.1))
    assert (asked.budget, asked.reserve, asked.policy) == (200, 0, ctx.policy)
    assert asked.relevant_share == ctx.policy.relevant_share


def test_a_receipt_outlives_a_fork_and_belongs_to_its_context(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(12))
    sent = engine.window(tenant, ctx.id, budget=60, record=True)
    fork = engine.fork(tenant, ctx.id, version=6)
    engine.append(tenant, fork.id, _history(3)[1:])
    assert sent.receipt_id is not None
    assert engine.receipt(tenant, ctx.id, sent.receipt_id).window == sent
    with pytest.raises(ReceiptNotFound):
        engine.receipt(tenant, fork.id, sent.receipt_id)
    assert engine.receipts(tenant, fork.id).items == ()


def test_recording_is_asked_per_window_or_by_the_policy(engine: Engine, tenant: str) -> None:
    plain = engine.create_context(tenant)
    engine.append(tenant, plain.id, _history(5))
    assert engine.window(tenant, plain.id).receipt_id is None
    assert engine.receipts(tenant, plain.id).items == ()

    recorded = engine.create_context(tenant, policy=Policy(record_windows=True))
    engine.append(tenant, recorded.id, _history(5))
    by_policy = engine.window(tenant, recorded.id)
    opted_out = engine.window(tenant, recorded.id, record=False)
    assert by_policy.receipt_id is not None and opted_out.receipt_id is None
    assert [r.id for r in engine.receipts(tenant, recorded.id).items] == [by_policy.receipt_id]


def test_receipts_list_by_time_a_page_at_a_time(engine: Engine, tenant: str) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(8))
    made = [engine.window(tenant, ctx.id, budget=20 + 10 * i, record=True).receipt_id
            for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        page = engine.receipts(tenant, ctx.id, limit=2, cursor=cursor)
        seen.extend(r.id for r in page.items)
        assert [r.asked.budget for r in page.items] == sorted(r.asked.budget for r in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == made
    with pytest.raises(InvalidInput):
        engine.receipts(tenant, ctx.id, limit=0)


def test_another_tenants_receipt_answers_like_a_missing_one(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(4))
    rid = engine.window(tenant, ctx.id, record=True).receipt_id
    assert rid is not None
    other = str(uuid.uuid4())
    with pytest.raises(ContextNotFound):
        engine.receipt(other, ctx.id, rid)
    with pytest.raises(ContextNotFound):
        engine.receipts(other, ctx.id)
    with pytest.raises(ReceiptNotFound):
        engine.receipt(tenant, ctx.id, str(uuid.uuid4()))


def test_receipts_of_a_deleted_context_answer_as_missing_until_it_is_restored(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(4))
    sent = engine.window(tenant, ctx.id, record=True)
    assert sent.receipt_id is not None
    engine.delete_context(tenant, ctx.id)
    with pytest.raises(ContextNotFound):
        engine.receipt(tenant, ctx.id, sent.receipt_id)
    with pytest.raises(ContextNotFound):
        engine.window(tenant, ctx.id, record=True)
    engine.restore_context(tenant, ctx.id)
    assert engine.receipt(tenant, ctx.id, sent.receipt_id).window == sent


def test_recording_for_a_missing_context_or_a_used_id_writes_nothing(
    store: Store, engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(3))
    sent = engine.window(tenant, ctx.id, record=True)
    assert sent.receipt_id is not None
    receipt = engine.receipt(tenant, ctx.id, sent.receipt_id).receipt
    with pytest.raises(InvalidInput):
        store.record_receipt(attrs.evolve(receipt, tokens=1))
    with pytest.raises(ContextNotFound):
        store.record_receipt(attrs.evolve(receipt, id=str(uuid.uuid4()), context_id="nope"))
    assert engine.receipt(tenant, ctx.id, sent.receipt_id).receipt == receipt


# -- retention ------------------------------------------------------------------------


def test_restore_within_retention_and_not_after(store: Store, engine: Engine, tenant: str) -> None:
    days = RetentionDays(deleted_contexts=3)
    kept = engine.create_context(tenant, policy=Policy(deleted_retention_days=10))
    default = engine.create_context(tenant)
    for ctx in (kept, default):
        engine.append(tenant, ctx.id, _history(2))
        engine.delete_context(tenant, ctx.id)
    at = engine.clock.now()  # just after both deletes (the fake clock ticks 1 ms a reading)
    edge = at + timedelta(days=3) - timedelta(milliseconds=5)
    restored = store.restore_context(tenant, default.id, now=edge, retention=days)
    assert restored.deleted_at is None and restored.head_version == 3
    assert store.get_context(tenant, default.id).updated_at == edge
    # Restoring a live context changes nothing.
    assert store.restore_context(tenant, default.id, now=edge, retention=days) == restored
    late = at + timedelta(days=3, seconds=1)
    engine.delete_context(tenant, default.id)
    with pytest.raises(ContextNotFound):
        store.restore_context(tenant, default.id, now=late + timedelta(days=3), retention=days)
    # The policy's days stand over the deployment's.
    back = store.restore_context(tenant, kept.id, now=late, retention=days)
    assert back.deleted_at is None
    with pytest.raises(ContextNotFound):
        store.restore_context(str(uuid.uuid4()), kept.id, now=late, retention=days)
    with pytest.raises(ContextNotFound):
        store.restore_context(tenant, str(uuid.uuid4()), now=late, retention=days)


def test_restore_is_exact_at_the_boundary(store: Store, tenant: str, clock: FakeClock) -> None:
    ctx = make_context(store, tenant, clock)
    deleted_at = clock.now()
    store.delete_context(tenant, ctx.id, now=deleted_at)
    days = RetentionDays(deleted_contexts=2)
    past = deleted_at + timedelta(days=2, microseconds=1)
    with pytest.raises(ContextNotFound):
        store.restore_context(tenant, ctx.id, now=past, retention=days)
    edge = deleted_at + timedelta(days=2)
    assert store.restore_context(tenant, ctx.id, now=edge, retention=days).deleted_at is None


def test_expired_receipts_are_deleted_by_their_contexts_days(
    store: Store, engine: Engine, tenant: str
) -> None:
    short = engine.create_context(tenant, policy=Policy(receipt_retention_days=1))
    default = engine.create_context(tenant)
    sent = {}
    for ctx in (short, default):
        engine.append(tenant, ctx.id, _history(3))
        sent[ctx.id] = engine.window(tenant, ctx.id, record=True)
    made = max(engine.receipt(tenant, c, w.receipt_id or "").receipt.created_at
               for c, w in sent.items())
    days = RetentionDays(receipts=5)
    assert store.expire_receipts(now=made + timedelta(hours=23), retention=days) >= 0
    for c, w in sent.items():
        assert engine.receipt(tenant, c, w.receipt_id or "").window == w
    gone = store.expire_receipts(now=made + timedelta(days=2), retention=days)
    assert gone >= 1
    with pytest.raises(ReceiptNotFound):
        engine.receipt(tenant, short.id, sent[short.id].receipt_id or "")
    assert engine.receipt(tenant, default.id, sent[default.id].receipt_id or "").window
    assert store.expire_receipts(now=made + timedelta(days=6), retention=days) >= 1
    assert engine.receipts(tenant, default.id).items == ()
    report = engine.retention_run(made + timedelta(days=7))
    assert set(report.deleted) == {"receipts", "contexts"}


def test_retention_run_counts_what_it_deleted(store: Store, tenant: str, clock: FakeClock) -> None:
    # Far in the future, so receipts other tests left behind expire first, here.
    engine = engine_over(store, clock, retention_days=RetentionDays(receipts=1))
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, _history(3))
    window = engine.window(tenant, ctx.id)
    base = clock.now() + timedelta(days=3650)
    for i in range(3):
        receipt = receipt_of(window, id=str(uuid.uuid4()), tenant_id=tenant, context_id=ctx.id,
                             created_at=base + timedelta(minutes=i),
                             asked=WindowAsked(budget=window.budget, reserve=0,
                                                 policy=ctx.policy))
        store.record_receipt(receipt)
    engine.retention_run(base - timedelta(days=1))  # everything older than `base` goes
    report = engine.retention_run(base + timedelta(days=1, seconds=90))
    assert report.deleted["receipts"] == 2
    assert len(engine.receipts(tenant, ctx.id).items) == 1


def test_retention_purges_deleted_contexts_past_their_days(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    engine = engine_over(store, clock, retention_days=RetentionDays(deleted_contexts=5))
    short = engine.create_context(tenant, policy=Policy(deleted_retention_days=1))
    default = engine.create_context(tenant)
    live = engine.create_context(tenant, policy=Policy(deleted_retention_days=0))
    for ctx in (short, default, live):
        engine.append(tenant, ctx.id, _history(3))
    engine.window(tenant, short.id, record=True)
    for ctx in (short, default):
        engine.delete_context(tenant, ctx.id)
    later = clock.now() + timedelta(days=2)
    due = store.expired_contexts(now=later, retention=RetentionDays(deleted_contexts=5))
    assert (tenant, short.id) in due
    assert (tenant, default.id) not in due and (tenant, live.id) not in due
    report = engine.retention_run(later)
    assert report.deleted["contexts"] >= 1
    assert (tenant, short.id) not in store.expired_contexts(
        now=later, retention=RetentionDays(deleted_contexts=5)
    )
    # Purged for good: no restore, even where its days would still allow one; the
    # context within its days comes back whole.
    with pytest.raises(ContextNotFound):
        engine.restore_context(tenant, short.id)
    assert engine.restore_context(tenant, default.id).head_version == 4
    assert engine.get_context(tenant, live.id).head_version == 4


# -- a property: whatever happens next, the receipt gives the window back -------------------

_later = st.lists(st.sampled_from(["append", "tool", "compact", "fork"]), max_size=5)


_RULES = {
    "plain": Policy(keep_recent=2),
    "clearing": Policy(keep_recent=2, clear_tool_results=True, clear_keep=0),
    "cache": Policy(keep_recent=2, cache_stable=True, cache_block=0.1),
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 25), budget=st.integers(20, 300), later=_later,
       query=st.one_of(st.none(), st.sampled_from(["harbour", "weather turn"])),
       rules=st.sampled_from(sorted(_RULES)), tools=st.integers(0, 3),
       back=st.none() | st.integers(0, 6))
def test_whatever_happens_later_a_receipt_gives_its_window_back(
    store: Store, n: int, budget: int, later: list[str], query: str | None, rules: str,
    tools: int, back: int | None,
) -> None:
    engine = engine_over(store, FakeClock())
    tenant = str(uuid.uuid4())
    ctx = engine.create_context(tenant, policy=_RULES[rules])
    engine.append(tenant, ctx.id, _history(n))
    for i in range(tools):
        engine.append(tenant, ctx.id, _tool_turn(f"early{i}", long=True))
    head = engine.get_context(tenant, ctx.id).head_version
    at = None if back is None else max(head - back, 0)
    sent = engine.window(tenant, ctx.id, budget=budget, query=query, record=True, at=at)
    for i, step in enumerate(later):
        if step == "append":
            engine.append(tenant, ctx.id, _history(4)[1:])
        elif step == "tool":
            engine.append(tenant, ctx.id, _tool_turn(f"t{i}"))
        elif step == "fork":
            engine.fork(tenant, ctx.id)
        elif _compactable(engine, tenant, ctx.id):
            # A summary no shorter than what it covers is refused: nothing changes.
            with contextlib.suppress(SummaryNotShorter):
                engine.compact(tenant, ctx.id, force=True)
    assert sent.receipt_id is not None
    assert engine.receipt(tenant, ctx.id, sent.receipt_id).window == sent


def _compactable(engine: Engine, tenant: str, context_id: str) -> bool:
    view = engine.store.compaction_view(tenant, context_id)
    return len(view.entries) > 3
