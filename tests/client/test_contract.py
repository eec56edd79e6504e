"""Engine-level scenarios through every access path (in process, sync and async client),
on both stores: the client must answer exactly as the engine does, errors included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.errors import (
    BudgetTooSmall,
    ContextNotFound,
    DimensionMismatch,
    EmptyBatch,
    IdempotencyKeyReused,
    InvalidInput,
    NothingToCompact,
    ReceiptNotFound,
    VersionConflict,
    VersionOutOfRange,
)
from domain.model import ContextChanges, Message, Policy, Role, ToolCall
from domain.window import Reason
from entrypoints.client import KataClient
from tests.client.conftest import Served


def _turns(n: int) -> list[Message]:
    return [
        Message(role=Role.USER if i % 2 == 0 else Role.ASSISTANT, content=f"turn {i} " * 5)
        for i in range(n)
    ]


def test_context_lifecycle(kata: Any) -> None:
    made = kata.create_context(
        name="support", metadata={"customer": "c-42"}, policy=Policy(budget=500, keep_recent=2)
    )
    got = kata.get_context(made.id)
    assert (got.name, dict(got.metadata), got.policy.budget, got.head_version) == (
        "support", {"customer": "c-42"}, 500, 0
    )
    assert got.tenant_id == made.tenant_id and got.tenant_id
    changed = kata.update_context(
        made.id, ContextChanges(name="renamed", policy_fields={"reserve": 50})
    )
    assert (changed.name, changed.policy.reserve, changed.policy.budget) == ("renamed", 50, 500)
    second = kata.create_context(name="other")
    first_page = kata.list_contexts(limit=1)
    assert len(first_page.items) == 1 and first_page.next_cursor
    rest = kata.list_contexts(limit=10, cursor=first_page.next_cursor)
    assert [c.id for c in (*first_page.items, *rest.items)] == [made.id, second.id]
    kata.delete_context(second.id)
    with pytest.raises(ContextNotFound) as missing:
        kata.get_context(second.id)
    assert missing.value.context_id == second.id


def test_append_time_travel_and_conflicts(kata: Any) -> None:
    cid = kata.create_context().id
    first = kata.append(cid, _turns(3), expected_version=0)
    assert (first.first_version, first.last_version, first.head_version) == (1, 3, 3)
    assert not first.replayed and first.token_count > 0
    with pytest.raises(VersionConflict) as conflict:
        kata.append(cid, _turns(1), expected_version=1)
    assert (conflict.value.expected, conflict.value.current) == (1, 3)
    kata.append(cid, _turns(2))
    page = kata.entries(cid, after=1, limit=2)
    assert [e.version for e in page.items] == [2, 3] and page.next_cursor
    assert [e.version for e in kata.entries(cid, at=2).items] == [1, 2]
    assert [e.version for e in kata.state_at(cid, 4)] == [1, 2, 3, 4]
    with pytest.raises(VersionOutOfRange) as out:
        kata.entries(cid, at=9)
    assert (out.value.version, out.value.head) == (9, 5)
    with pytest.raises(EmptyBatch):
        kata.append(cid, [])
    with pytest.raises(ContextNotFound):
        kata.append("00000000-0000-4000-8000-000000000000", _turns(1))


def test_idempotent_appends(kata: Any) -> None:
    cid = kata.create_context().id
    batch = _turns(2)
    first = kata.append(cid, batch, idempotency_key="turn-1")
    again = kata.append(cid, batch, idempotency_key="turn-1")
    assert again.replayed and (again.first_version, again.last_version) == (1, 2)
    assert kata.get_context(cid).head_version == 2 and not first.replayed
    with pytest.raises(IdempotencyKeyReused) as reused:
        kata.append(cid, _turns(1), idempotency_key="turn-1")
    assert reused.value.key == "turn-1"


def test_window_keeps_tool_pairs_and_pins(kata: Any) -> None:
    cid = kata.create_context(policy=Policy(budget=60)).id
    kata.append(cid, [
        Message(role="system", content="You are terse.", token_count=5),
        *[Message(role="user", content=f"old {i}", token_count=10) for i in range(5)],
        Message(role="assistant", tool_calls=[ToolCall(id="c1", name="look", arguments="{}")],
                token_count=10),
        Message(role="tool", tool_call_id="c1", content="found", token_count=10),
        Message(role="user", content="thanks", token_count=10),
    ])
    window = kata.window(cid, budget=36)
    roles = [(w.reason, w.entry.role) for w in window.entries]
    assert roles == [
        (Reason.PINNED, Role.SYSTEM), (Reason.RECENT, Role.ASSISTANT), (Reason.RECENT, Role.TOOL),
        (Reason.RECENT, Role.USER),
    ]
    assert window.tokens == 35 and window.budget == 36 and window.omitted_count == 5
    assert window.versions is not None and window.versions.last == 9
    # 25 tokens: the pair (20) does not fit with the last turn, so neither half is sent.
    assert [w.entry.role for w in kata.window(cid, budget=25).entries] == [Role.SYSTEM, Role.USER]
    with pytest.raises(BudgetTooSmall) as small:
        kata.window(cid, budget=4)
    assert (small.value.needed, small.value.available) == (5, 4)
    with pytest.raises(InvalidInput):
        kata.window(cid, budget=10, reserve=10)
    query = kata.window(cid, budget=36, query="old 1")
    assert any(w.reason is Reason.RELEVANT for w in query.entries)


def test_window_rules_clear_tool_results_and_report_the_shared_prefix(kata: Any) -> None:
    policy = Policy(budget=200, clear_tool_results=True, clear_keep=1, cache_stable=True)
    cid = kata.create_context(policy=policy).id
    for i in range(6):
        kata.append(cid, [
            Message(role="user", content=f"ask {i}", token_count=5),
            Message(role="assistant", tool_calls=[ToolCall(id=f"c{i}", name="look")],
                    token_count=5),
            Message(role="tool", tool_call_id=f"c{i}", content="rows " * 40, token_count=40),
        ])
    got = kata.get_context(cid).policy
    assert (got.clear_tool_results, got.clear_keep, got.cache_stable, got.cache_block) == (
        True, 1, True, 0.25
    )
    window = kata.window(cid)
    cleared = [w for w in window.entries if w.cleared]
    assert len(cleared) == 5 and all(w.entry.role is Role.TOOL for w in cleared)
    assert window.tokens_saved == sum(40 - w.entry.token_count for w in cleared) > 0
    assert window.shared_prefix_tokens is not None
    assert 0 < window.shared_prefix_tokens <= window.tokens <= 200


def test_forks_and_compaction(kata: Any) -> None:
    cid = kata.create_context(name="main", policy=Policy(keep_recent=2)).id
    kata.append(cid, _turns(6))
    fork = kata.fork(cid, version=3, name="branch")
    assert (fork.parent_id, fork.fork_version, fork.head_version) == (cid, 3, 3)
    assert [c.id for c in kata.forks(cid)] == [fork.id]
    assert [e.content for e in kata.state_at(fork.id, 3)] == [
        e.content for e in kata.state_at(cid, 3)
    ]
    with pytest.raises(VersionOutOfRange):
        kata.fork(cid, version=99)
    done = kata.compact(cid, force=True)
    assert done.append.first_version == 7 and done.summary.covers is not None
    assert done.summary.covers.first == 1 and done.summary.content
    window = kata.window(cid)
    assert window.entries[0].reason is Reason.SUMMARY
    assert window.summary_covers == done.summary.covers
    short = kata.create_context().id
    kata.append(short, _turns(1))
    with pytest.raises(NothingToCompact):
        kata.compact(short)


def test_search_and_dimensions(kata: Any) -> None:
    cid = kata.create_context().id
    kata.append(cid, [
        Message(role="user", content="refunds", embedding=(1.0, 0.0, 0.0)),
        Message(role="user", content="shipping", embedding=(0.0, 1.0, 0.0)),
    ])
    hits = kata.search([1.0, 0.1, 0.0], k=1, context_id=cid)
    assert [(h.context_id, h.entry.content) for h in hits] == [(cid, "refunds")]
    assert hits[0].score > 0.9
    with pytest.raises(DimensionMismatch) as wrong:
        kata.search([1.0, 0.0], k=1)
    assert (wrong.value.expected, wrong.value.got) == (3, 2)


def test_non_messages_are_refused(kata: Any) -> None:
    cid = kata.create_context().id
    with pytest.raises(InvalidInput, match=r"messages\[0\]"):
        kata.append(cid, [{"role": "user", "content": "a chat dict"}])


class _LosesFirstAppendAnswer(httpx.HTTPTransport):
    """Delivers the first append to the server, then drops its answer on the floor."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/messages") and request.method == "POST" and not self.lost:
            self.lost += 1
            response.read()
            raise httpx.ReadError("connection reset", request=request)
        return response


def test_a_retried_append_after_a_lost_answer_writes_once(served: Served) -> None:
    _, secret = served.new_key()
    transport = _LosesFirstAppendAnswer()
    with KataClient(served.base_url, secret, transport=transport, retry_backoff=0) as client:
        cid = client.create_context().id
        result = client.append(cid, _turns(2))
        assert transport.lost == 1
        assert (result.first_version, result.last_version, result.replayed) == (1, 2, False)
        assert client.get_context(cid).head_version == 2


def test_client_problem_without_a_domain_error(served: Served) -> None:
    from entrypoints.client import ApiError

    with KataClient(served.base_url, "kc_not-a-key") as client:
        assert client.health()["status"] == "ok"
        assert any(p["type"].endswith("/version-conflict") for p in client.problem_types())
        assert client.openapi()["openapi"].startswith("3.1")
        from domain.errors import Unauthorized

        with pytest.raises(Unauthorized):
            client.create_context()
    with KataClient(served.base_url) as client, pytest.raises(ApiError) as missing:
        client.problem_type("no-such-problem")
    assert missing.value.status == 404


def test_receipts_and_restore(kata: Any) -> None:
    cid = kata.create_context().id
    kata.append(cid, _turns(12))
    sent = kata.window(cid, budget=60, record=True)
    assert sent.receipt_id and kata.window(cid, budget=60).receipt_id is None
    kata.append(cid, _turns(6))
    kata.compact(cid, force=True)
    got = kata.receipt(cid, sent.receipt_id)
    assert got.window == sent and got.receipt.versions == tuple(
        w.entry.version for w in sent.entries
    )
    assert [r.id for r in kata.receipts(cid).items] == [sent.receipt_id]
    assert kata.receipts(cid).items[0] == got.receipt
    with pytest.raises(ReceiptNotFound):
        kata.receipt(cid, "no-such-receipt")
    kata.delete_context(cid)
    with pytest.raises(ContextNotFound):
        kata.receipt(cid, sent.receipt_id)
    assert kata.restore_context(cid).head_version == 19  # 18 messages and the summary
    assert kata.receipt(cid, sent.receipt_id).window == sent
