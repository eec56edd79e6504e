"""The version log (ports.version_log): gapless batches, optimistic concurrency,
idempotency, time travel."""

from __future__ import annotations

import attrs
import pytest

from domain.errors import (
    EmptyBatch,
    IdempotencyKeyReused,
    VersionConflict,
    VersionOutOfRange,
)
from domain.model import (
    ContentPart,
    ContextChanges,
    EntryDraft,
    Policy,
    Role,
    TokenSource,
    ToolCall,
)
from domain.versioning import batch_fingerprint
from entrypoints.engine import Store
from ports.version_log import BasisChanged, DraftBasis
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id, summary, vec


def test_batches_get_consecutive_versions_and_totals(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    first = store.append(
        tenant, ctx.id, [draft("a", tokens=3), draft("b", tokens=4)], now=clock.now()
    )
    assert (first.first_version, first.last_version, first.head_version) == (1, 2, 2)
    assert first.token_count == 7 and not first.replayed and first.context_id == ctx.id
    second = store.append(tenant, ctx.id, [draft("c", tokens=5)], now=clock.now())
    assert (second.first_version, second.last_version, second.head_version) == (3, 3, 3)
    got = store.get_context(tenant, ctx.id)
    assert got.head_version == 3 and got.entry_count == 3 and got.token_total == 12


def test_entries_round_trip_every_field(store: Store, tenant: str, clock: FakeClock) -> None:
    ctx = make_context(store, tenant, clock)
    now = clock.now()
    call = ToolCall(id="call_1", name="lookup", arguments='{"q": "weather"}')
    drafts = [
        draft("be brief", role=Role.SYSTEM, tokens=4),
        draft("hi ünïcode ✓", tokens=5, metadata={"source": "web", "n": [1, 2.5, None]}),
        draft("", role=Role.ASSISTANT, tokens=6, tool_calls=[call], embedding=vec(1, 0.5)),
        draft("sunny", role=Role.TOOL, tokens=2, tool_call_id="call_1"),
        draft("remember this", tokens=3, pinned=True),
    ]
    parts = (
        ContentPart(type="text", text="look at"),
        ContentPart(type="image_url", data={"url": "https://example.com/a.png"}),
    )
    drafts.append(
        EntryDraft(
            role=Role.USER,
            content=parts,
            name="alice",
            token_count=9,
            token_source=TokenSource.ESTIMATED,
        )
    )
    store.append(tenant, ctx.id, drafts, now=now)
    page = store.read_entries(tenant, ctx.id)
    assert page.next_cursor is None
    assert [e.version for e in page.items] == [1, 2, 3, 4, 5, 6]
    for entry, d in zip(page.items, drafts, strict=True):
        assert entry.created_at == now
        for field in (
            "role",
            "content",
            "name",
            "tool_calls",
            "tool_call_id",
            "metadata",
            "token_count",
            "token_source",
            "pinned",
            "embedding",
            "kind",
            "covers",
        ):
            assert getattr(entry, field) == getattr(d, field), field


def test_empty_batch_is_refused_and_writes_nothing(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    with pytest.raises(EmptyBatch):
        store.append(tenant, ctx.id, [], now=clock.now())
    assert store.get_context(tenant, ctx.id).head_version == 0


def test_expected_version_mismatch_is_a_conflict_carrying_the_head(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(), draft()], now=clock.now(), expected_version=0)
    with pytest.raises(VersionConflict) as err:
        store.append(tenant, ctx.id, [draft()], now=clock.now(), expected_version=1)
    assert (err.value.expected, err.value.current) == (1, 2)
    assert store.get_context(tenant, ctx.id).head_version == 2
    ok = store.append(tenant, ctx.id, [draft()], now=clock.now(), expected_version=2)
    assert ok.first_version == 3


def test_idempotent_retry_returns_the_first_result_and_writes_nothing(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    batch = [draft("one"), draft("two")]
    fp = batch_fingerprint(batch)
    first = store.append(
        tenant, ctx.id, batch, now=clock.now(), idempotency_key="k1", fingerprint=fp
    )
    store.append(tenant, ctx.id, [draft("other")], now=clock.now())
    again = store.append(
        tenant, ctx.id, batch, now=clock.now(), idempotency_key="k1", fingerprint=fp
    )
    assert again.replayed and not first.replayed
    assert (again.first_version, again.last_version, again.head_version) == (1, 2, 2)
    assert again.token_count == first.token_count
    assert store.get_context(tenant, ctx.id).head_version == 3
    # The key check comes before expected_version: a stale expectation still replays.
    stale = store.append(
        tenant,
        ctx.id,
        batch,
        now=clock.now(),
        expected_version=0,
        idempotency_key="k1",
        fingerprint=fp,
    )
    assert stale.replayed and stale.first_version == 1
    assert store.get_context(tenant, ctx.id).head_version == 3


def test_idempotency_key_with_another_payload_is_refused(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    a, b = [draft("a")], [draft("b")]
    store.append(
        tenant, ctx.id, a, now=clock.now(), idempotency_key="k", fingerprint=batch_fingerprint(a)
    )
    with pytest.raises(IdempotencyKeyReused) as err:
        store.append(
            tenant,
            ctx.id,
            b,
            now=clock.now(),
            idempotency_key="k",
            fingerprint=batch_fingerprint(b),
        )
    assert err.value.key == "k"
    assert store.get_context(tenant, ctx.id).head_version == 1


def test_idempotency_keys_are_scoped_to_the_context(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    one = make_context(store, tenant, clock)
    two = make_context(store, tenant, clock)
    batch = [draft("same")]
    fp = batch_fingerprint(batch)
    store.append(tenant, one.id, batch, now=clock.now(), idempotency_key="k", fingerprint=fp)
    other = store.append(
        tenant, two.id, batch, now=clock.now(), idempotency_key="k", fingerprint=fp
    )
    assert not other.replayed and other.first_version == 1
    assert store.get_context(tenant, two.id).head_version == 1


def test_read_entries_pages_by_version_cursor(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(f"m{i}") for i in range(1, 8)], now=clock.now())
    first = store.read_entries(tenant, ctx.id, limit=3)
    assert [e.version for e in first.items] == [1, 2, 3] and first.next_cursor == "3"
    second = store.read_entries(tenant, ctx.id, after=3, limit=3)
    assert [e.version for e in second.items] == [4, 5, 6] and second.next_cursor == "6"
    last = store.read_entries(tenant, ctx.id, after=6, limit=3)
    assert [e.version for e in last.items] == [7] and last.next_cursor is None
    exact = store.read_entries(tenant, ctx.id, after=4, limit=3)
    assert [e.version for e in exact.items] == [5, 6, 7] and exact.next_cursor is None
    assert store.read_entries(tenant, ctx.id, after=7).items == ()


def test_time_travel_reads_the_state_at_a_version(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(f"m{i}") for i in range(1, 6)], now=clock.now())
    at3 = store.read_entries(tenant, ctx.id, at=3)
    assert [e.content for e in at3.items] == ["m1", "m2", "m3"] and at3.next_cursor is None
    paged = store.read_entries(tenant, ctx.id, at=4, after=1, limit=2)
    assert [e.version for e in paged.items] == [2, 3] and paged.next_cursor == "3"
    assert store.read_entries(tenant, ctx.id, at=0).items == ()
    for bad in (-1, 6):
        with pytest.raises(VersionOutOfRange) as err:
            store.read_entries(tenant, ctx.id, at=bad)
        assert (err.value.version, err.value.head) == (bad, 5)


def test_read_versions_returns_existing_versions_in_order(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(f"m{i}") for i in range(1, 6)], now=clock.now())
    got = store.read_versions(tenant, ctx.id, [4, 2, 9, 0, 2])
    assert [e.version for e in got] == [2, 4]
    assert [e.content for e in got] == ["m2", "m4"]


def test_an_append_drafted_under_another_policy_is_refused_and_writes_nothing(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock, policy=Policy(encoding="o200k_base"))
    basis = DraftBasis(policy=Policy(encoding="o200k_base"))
    done = store.append(tenant, ctx.id, [draft("a")], now=clock.now(), drafted_under=basis)
    assert done.head_version == 1
    changed = Policy(budget=500, enabled=True)
    store.update_context(tenant, ctx.id, ContextChanges(policy=changed), now=clock.now())
    # Checked before expected_version: the batch must be counted again first.
    for expected in (None, 1, 7):
        with pytest.raises(BasisChanged) as err:
            store.append(
                tenant,
                ctx.id,
                [draft("b")],
                now=clock.now(),
                expected_version=expected,
                drafted_under=basis,
            )
        assert err.value.basis == DraftBasis(policy=changed)
    assert store.get_context(tenant, ctx.id).head_version == 1
    basis = DraftBasis(policy=changed)
    again = store.append(tenant, ctx.id, [draft("b")], now=clock.now(), drafted_under=basis)
    assert again.head_version == 2


def test_a_replay_answers_before_the_policy_check(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    first = store.append(tenant, ctx.id, [draft("a")], now=clock.now(), idempotency_key="k")
    store.update_context(tenant, ctx.id, ContextChanges(policy=Policy(budget=99)), now=clock.now())
    basis = DraftBasis(policy=Policy())
    replay = store.append(
        tenant, ctx.id, [draft("a")], now=clock.now(), idempotency_key="k", drafted_under=basis
    )
    assert replay.replayed and replay.head_version == first.head_version == 1


def test_the_scope_follows_the_newest_message_and_guards_appends(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    named = attrs.evolve(draft("about Zephyr"), scope=("zephyr",))
    store.append(tenant, ctx.id, [named, attrs.evolve(draft("ok"), scope=("zephyr",))],
                 now=clock.now())
    assert store.get_context(tenant, ctx.id).scope == ("zephyr",)
    stale = DraftBasis(policy=Policy(), scope=())
    with pytest.raises(BasisChanged) as err:
        store.append(tenant, ctx.id, [draft("x")], now=clock.now(), drafted_under=stale)
    assert err.value.basis == DraftBasis(policy=Policy(), scope=("zephyr",))
    assert store.get_context(tenant, ctx.id).head_version == 2
    # A summary changes no scope; a fork starts from the scope at its version.
    store.record_compaction(tenant, ctx.id, summary(1, 1), expected_version=2, now=clock.now())
    assert store.get_context(tenant, ctx.id).scope == ("zephyr",)
    other = attrs.evolve(draft("and Quartz"), scope=("quartz", "zephyr"))
    store.append(tenant, ctx.id, [other], now=clock.now(),
                 drafted_under=DraftBasis(policy=Policy(), scope=("zephyr",)))
    assert store.get_context(tenant, ctx.id).scope == ("quartz", "zephyr")
    for at, scope in ((0, ()), (1, ("zephyr",)), (3, ("zephyr",)), (4, ("quartz", "zephyr"))):
        child = store.fork(tenant, ctx.id, version=at, new_id=new_id(), name="f", now=clock.now())
        assert child.scope == scope, at
