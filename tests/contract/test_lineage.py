"""Copy-on-write forks, windows as of a version, and purge (domain.lineage; ports.purge).

A fork shares its parent's entries instead of copying them, so every read must see the
lineage as one history: each test compares a fork chain with one context that was given
the same entries directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import ContextNotFound, VersionOutOfRange
from domain.model import Context, Entry, EntryDraft, ErasureReason, Role, ToolCall
from domain.window import WindowCandidates
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id, summary, vec

WORDS = ("apple", "billing", "cobalt", "delta", "echo", "falcon", "gamma", "harbor")


def _drafts(n: int, offset: int = 0) -> list[EntryDraft]:
    """A mixed history: pins, tool pairs, embeddings, words for BM25."""
    out: list[EntryDraft] = []
    for i in range(offset, offset + n):
        words = f"{WORDS[i % 8]} {WORDS[(i * 3) % 8]} note {i}"
        if i % 11 == 0:
            out.append(draft(f"system {i}", role=Role.SYSTEM, tokens=2))
        elif i % 7 == 3:
            call = ToolCall(id=f"c{i}", name="lookup", arguments="{}")
            out.append(draft(words, role=Role.ASSISTANT, tokens=4, tool_calls=[call]))
        elif i % 7 == 4:
            out.append(draft(f"result {words}", role=Role.TOOL, tokens=5, tool_call_id=f"c{i-1}"))
        else:
            out.append(draft(words, tokens=1 + i % 5, embedding=vec(1, (i % 5) / 4, i % 3)))
    return out


def _shape(e: Entry) -> tuple[Any, ...]:
    return (e.version, e.kind, e.role, e.content, e.token_count, e.covers, e.embedding is not None)


def _shapes(entries: Sequence[Entry]) -> list[tuple[Any, ...]]:
    return [_shape(e) for e in entries]


def _candidates(c: WindowCandidates) -> tuple[Any, ...]:
    return (
        c.head_version,
        c.compacted_through,
        _shapes(c.pins),
        None if c.summary is None else _shape(c.summary),
        _shapes(c.tail),
    )


def _all(store: Store, tenant: str, cid: str, at: int | None = None) -> list[Entry]:
    out: list[Entry] = []
    after = 0
    while True:
        page = store.read_entries(tenant, cid, after=after, limit=7, at=at)
        out.extend(page.items)
        if page.next_cursor is None:
            return out
        after = int(page.next_cursor)


def _same_history(store: Store, tenant: str, fork: str, plain: str) -> None:
    """Every read of `fork` answers what the same read of `plain` does."""
    a, b = store.get_context(tenant, fork), store.get_context(tenant, plain)
    assert (a.head_version, a.token_total, a.compacted_through, a.scope) == (
        b.head_version, b.token_total, b.compacted_through, b.scope,
    )
    assert _shapes(_all(store, tenant, fork)) == _shapes(_all(store, tenant, plain))
    for at in range(0, a.head_version + 1, 3):
        assert _shapes(_all(store, tenant, fork, at)) == _shapes(_all(store, tenant, plain, at))
    versions = list(range(0, a.head_version + 2, 2))
    assert _shapes(store.read_versions(tenant, fork, versions)) == _shapes(
        store.read_versions(tenant, plain, versions)
    )
    for tail in (0, 3, 17, 60, 10_000):
        assert _candidates(store.window_candidates(tenant, fork, tail_tokens=tail)) == _candidates(
            store.window_candidates(tenant, plain, tail_tokens=tail)
        )
    for text in ("apple billing", "cobalt note", "harbor"):
        got = store.rank_relevant(tenant, fork, text=text, embedding=vec(1, 0.5, 1), k=6)
        want = store.rank_relevant(tenant, plain, text=text, embedding=vec(1, 0.5, 1), k=6)
        for x, y in ((got.lexical, want.lexical), (got.semantic, want.semantic)):
            assert [(r.version, r.score) for r in x] == [
                (r.version, r.score) for r in y
            ]
    va, vb = store.compaction_view(tenant, fork), store.compaction_view(tenant, plain)
    assert (va.head_version, va.compacted_through, va.active_tokens) == (
        vb.head_version, vb.compacted_through, vb.active_tokens,
    )
    assert _shapes(va.entries) == _shapes(vb.entries)
    hits = store.search(tenant, vec(1, 0.25, 2), k=5, context_id=fork)
    plain_hits = store.search(tenant, vec(1, 0.25, 2), k=5, context_id=plain)
    assert [(h.context_id, h.entry.version, h.score) for h in hits] == [
        (fork, h.entry.version, h.score) for h in plain_hits
    ]


def _write(store: Store, tenant: str, cid: str, drafts: list[EntryDraft], clock: FakeClock) -> None:
    for i in range(0, len(drafts), 4):
        store.append(tenant, cid, drafts[i : i + 4], now=clock.now())


def test_a_fork_chain_reads_as_one_history(store: Store, tenant: str, clock: FakeClock) -> None:
    history = _drafts(40)
    plain = make_context(store, tenant, clock).id
    _write(store, tenant, plain, history[:12], clock)
    root = make_context(store, tenant, clock).id
    _write(store, tenant, root, history[:12], clock)
    # A summary inside the shared part, then the root goes on alone.
    for cid in (plain, root):
        store.record_compaction(tenant, cid, summary(1, 6), expected_version=12, now=clock.now())
    _write(store, tenant, root, _drafts(9, offset=100), clock)
    # b shares root's 1..13 (the summary included), c shares b's 1..20 (root's and b's),
    # d shares c's 1..9 (root's only), each adding its own entries.
    b = store.fork(tenant, root, version=13, new_id=new_id(), name="b", now=clock.now()).id
    _write(store, tenant, b, history[13:20], clock)
    _write(store, tenant, plain, history[13:20], clock)
    c = store.fork(tenant, b, version=20, new_id=new_id(), name="c", now=clock.now()).id
    _write(store, tenant, c, history[20:33], clock)
    _write(store, tenant, plain, history[20:33], clock)
    _same_history(store, tenant, c, plain)
    store.record_compaction(tenant, c, summary(2, 25), expected_version=33, now=clock.now())
    store.record_compaction(tenant, plain, summary(2, 25), expected_version=33, now=clock.now())
    _same_history(store, tenant, c, plain)
    # A fork inside the first segment only, compared with a fresh plain history.
    d = store.fork(tenant, c, version=9, new_id=new_id(), name="d", now=clock.now()).id
    plain_d = make_context(store, tenant, clock).id
    _write(store, tenant, plain_d, history[:9], clock)
    for cid in (d, plain_d):
        _write(store, tenant, cid, history[30:40], clock)
    _same_history(store, tenant, d, plain_d)
    # The parents are unchanged by their forks' appends.
    assert store.get_context(tenant, root).head_version == 22
    assert store.get_context(tenant, b).head_version == 20


def test_soft_deleting_ancestors_never_breaks_a_fork(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    history = _drafts(24)
    plain = make_context(store, tenant, clock).id
    root = make_context(store, tenant, clock).id
    _write(store, tenant, plain, history[:16], clock)
    _write(store, tenant, root, history[:10], clock)
    b = store.fork(tenant, root, version=10, new_id=new_id(), name="b", now=clock.now()).id
    _write(store, tenant, b, history[10:16], clock)
    c = store.fork(tenant, b, version=16, new_id=new_id(), name="c", now=clock.now()).id
    store.delete_context(tenant, root, now=clock.now())
    store.delete_context(tenant, b, now=clock.now())
    _same_history(store, tenant, c, plain)
    with pytest.raises(ContextNotFound):
        store.fork(tenant, b, version=1, new_id=new_id(), name="x", now=clock.now())
    # Tenant-wide search holds each stored entry once, under the live context storing it:
    # the deleted ancestors' entries are not found there, the fork's own are.
    _write(store, tenant, c, history[16:24], clock)
    hits = store.search(tenant, vec(1, 0.25, 2), k=50)
    assert {h.context_id for h in hits} <= {plain, c}
    assert {h.entry.version for h in hits if h.context_id == c} <= set(range(17, 25))


def test_window_at_a_version_is_the_window_of_then(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    cid = make_context(store, tenant, clock).id
    history = _drafts(30)
    seen: dict[int, list[tuple[Any, ...]]] = {0: []}

    def remember() -> None:
        head = store.get_context(tenant, cid).head_version
        seen[head] = [
            _candidates(store.window_candidates(tenant, cid, tail_tokens=t)) for t in (5, 40)
        ]

    remember()
    for i, d in enumerate(history):
        store.append(tenant, cid, [d], now=clock.now())
        if i in (9, 21):
            head = store.get_context(tenant, cid).head_version
            store.record_compaction(
                tenant, cid, summary(1, head - 3), expected_version=head, now=clock.now()
            )
        remember()
    head = store.get_context(tenant, cid).head_version
    for version, windows in seen.items():
        if version == 0:
            continue
        assert [
            _candidates(store.window_candidates(tenant, cid, tail_tokens=t, at=version))
            for t in (5, 40)
        ] == windows, version
    assert store.window_candidates(tenant, cid, tail_tokens=9, at=0).tail == ()
    for bad in (-1, head + 1):
        with pytest.raises(VersionOutOfRange):
            store.window_candidates(tenant, cid, tail_tokens=9, at=bad)
        with pytest.raises(VersionOutOfRange):
            store.rank_relevant(tenant, cid, text="apple", embedding=None, k=3, at=bad)


def test_ranking_at_a_version_ranks_the_history_of_then(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    history = _drafts(26)
    cid = make_context(store, tenant, clock).id
    then = make_context(store, tenant, clock).id
    _write(store, tenant, cid, history[:14], clock)
    _write(store, tenant, then, history[:14], clock)
    for c in (cid, then):
        store.record_compaction(tenant, c, summary(1, 4), expected_version=14, now=clock.now())
    _write(store, tenant, cid, history[14:], clock)
    store.record_compaction(tenant, cid, summary(1, 20), expected_version=27, now=clock.now())
    for text in ("apple billing", "gamma", "note"):
        got = store.rank_relevant(tenant, cid, text=text, embedding=vec(1, 1), k=5, at=15)
        want = store.rank_relevant(tenant, then, text=text, embedding=vec(1, 1), k=5)
        assert [(r.version, r.score) for r in got.lexical] == [
            (r.version, r.score) for r in want.lexical
        ]
        assert [(r.version, r.score) for r in got.semantic] == [
            (r.version, r.score) for r in want.semantic
        ]


def test_purge_keeps_what_forks_share_and_frees_it_with_the_last(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    history = _drafts(20)
    root = make_context(store, tenant, clock).id
    _write(store, tenant, root, history[:10], clock)
    embedded = sum(1 for d in history[:10] if d.embedding is not None)
    b = store.fork(tenant, root, version=6, new_id=new_id(), name="b", now=clock.now()).id
    _write(store, tenant, b, history[10:14], clock)
    c = store.fork(tenant, b, version=8, new_id=new_id(), name="c", now=clock.now()).id
    before = _shapes(_all(store, tenant, c))

    gone = store.purge_context(tenant, root, now=clock.now())
    assert (gone.context_id, gone.entries_removed, gone.entries_kept_for_forks) == (root, 4, 6)
    assert gone.embeddings_removed == sum(
        1 for d in history[6:10] if d.embedding is not None
    )
    with pytest.raises(ContextNotFound):
        store.get_context(tenant, root)
    with pytest.raises(ContextNotFound):
        store.purge_context(tenant, root, now=clock.now())
    assert _shapes(_all(store, tenant, c)) == before
    assert root not in {x.id for x in store.list_contexts(tenant, limit=50).items}

    # b still shares root's 1..6; c shares root's 1..6 and b's 7..8.
    gone_b = store.purge_context(tenant, b, now=clock.now())
    assert (gone_b.entries_removed, gone_b.entries_kept_for_forks) == (2, 2)
    assert _shapes(_all(store, tenant, c)) == before
    # The last context sharing them goes: its own entries, b's two, root's six.
    gone_c = store.purge_context(tenant, c, now=clock.now())
    assert gone_c.entries_removed == 0 + 2 + 6 and gone_c.entries_kept_for_forks == 0
    assert gone.embeddings_removed + gone_c.embeddings_removed + gone_b.embeddings_removed == (
        embedded + sum(1 for d in history[10:14] if d.embedding is not None)
    )
    # Nothing is left: every id is free again, and a new context under one starts empty.
    now = clock.now()
    for cid in (root, b, c):
        with pytest.raises(ContextNotFound):
            store.get_context(tenant, cid)
    again = store.create_context(
        Context(id=root, tenant_id=tenant, name="again", created_at=now, updated_at=now)
    )
    assert again.head_version == 0 and _all(store, tenant, root) == []


def test_purge_of_a_soft_deleted_context_and_of_another_tenants(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    cid = make_context(store, tenant, clock).id
    _write(store, tenant, cid, _drafts(5), clock)
    with pytest.raises(ContextNotFound):
        store.purge_context("someone-else", cid, now=clock.now())
    store.delete_context(tenant, cid, now=clock.now())
    gone = store.purge_context(tenant, cid, now=clock.now())
    assert (gone.entries_removed, gone.entries_kept_for_forks) == (5, 0)
    with pytest.raises(ContextNotFound):
        store.purge_context(tenant, cid, now=clock.now())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=5),
    extra=st.lists(st.integers(min_value=0, max_value=5), min_size=5, max_size=5),
    data=st.data(),
)
def test_any_fork_chain_matches_its_plain_history(
    store: Store, tenant: str, clock: FakeClock, cuts: list[int], extra: list[int], data: Any
) -> None:
    """Forks of forks to any depth, at any version, read as the history they hold."""
    pool = _drafts(60)
    cid = make_context(store, tenant, clock).id
    _write(store, tenant, cid, pool[:12], clock)
    held = list(pool[:12])
    used = 12
    for cut, more in zip(cuts, extra, strict=False):
        head = store.get_context(tenant, cid).head_version
        at = min(cut, head)
        cid = store.fork(tenant, cid, version=at, new_id=new_id(), name="f", now=clock.now()).id
        held = held[:at] + pool[used : used + more]
        _write(store, tenant, cid, pool[used : used + more], clock)
        used += more
    plain = make_context(store, tenant, clock).id
    _write(store, tenant, plain, held, clock)
    if data.draw(st.booleans()):
        head = store.get_context(tenant, cid).head_version
        if head >= 2:
            for c in (cid, plain):
                store.record_compaction(
                    tenant, c, summary(1, head - 1), expected_version=head, now=clock.now()
                )
    _same_history(store, tenant, cid, plain)


def test_each_purge_leaves_an_erasure_record_without_content(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    kept = make_context(
        store, tenant, clock, name="secret name", metadata={"ssn": "ssn-value-q"}
    ).id
    _write(store, tenant, kept, _drafts(6), clock)
    fork = store.fork(tenant, kept, version=4, new_id=new_id(), name="f", now=clock.now()).id
    first = clock.now()
    gone = store.purge_context(tenant, kept, now=first)
    later = clock.now()
    gone_fork = store.purge_context(tenant, fork, now=later, reason=ErasureReason.RETENTION)
    page = store.list_erasures(tenant, limit=1)
    assert len(page.items) == 1 and page.next_cursor is not None
    rest = store.list_erasures(tenant, limit=10, cursor=page.next_cursor)
    records = [*page.items, *rest.items]
    assert rest.next_cursor is None
    assert [(e.context_id, e.erased_at, e.reason) for e in records] == [
        (kept, first, ErasureReason.REQUEST), (fork, later, ErasureReason.RETENTION),
    ]
    for record, result in zip(records, (gone, gone_fork), strict=True):
        assert (record.entries_removed, record.embeddings_removed, record.receipts_removed,
                record.entries_kept_for_forks) == (
            result.entries_removed, result.embeddings_removed, result.receipts_removed,
            result.entries_kept_for_forks,
        )
    # No content: nothing of the context's name, metadata or text is kept.
    # (The markers hold letters no uuid, timestamp or count can spell.)
    assert "secret" not in repr(records) and "ssn-value-q" not in repr(records)
    assert store.list_erasures("another-tenant", limit=10).items == ()
