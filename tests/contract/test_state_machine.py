"""Each adapter against a plain model (lists and dicts), over random operation sequences."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain.errors import ContextNotFound, IdempotencyKeyReused, VersionConflict, VersionOutOfRange
from domain.model import Entry, EntryDraft, EntryKind, Role
from domain.versioning import batch_fingerprint
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, summary

# Compared fields: everything the model knows (created_at and ids come from the clock).
FIELDS = ("version", "role", "content", "token_count", "pinned", "kind", "covers")


def project(entry: Entry) -> tuple[Any, ...]:
    """The fields of an entry the model tracks."""
    return tuple(getattr(entry, f) for f in FIELDS)


@attrs.define
class ModelContext:
    """The model of one context: its entries as projections, and its idempotency keys."""

    tenant: str
    entries: list[tuple[Any, ...]] = attrs.Factory(list)
    deleted: bool = False
    parent: str | None = None
    fork_version: int | None = None
    keys: dict[str, tuple[str, tuple[int, int, int, int]]] = attrs.Factory(dict)

    @property
    def head(self) -> int:
        return len(self.entries)

    def compacted_through(self, upto: int | None = None) -> int:
        rows = self.entries if upto is None else self.entries[:upto]
        summaries = [e for e in rows if e[5] is EntryKind.SUMMARY]
        return summaries[-1][6].last if summaries else 0

    def is_pin(self, e: tuple[Any, ...]) -> bool:
        return e[5] is EntryKind.MESSAGE and (e[4] or e[1] is Role.SYSTEM)

    def eligible_active(self) -> list[tuple[Any, ...]]:
        ct = self.compacted_through()
        return [
            e
            for e in self.entries
            if e[5] is EntryKind.MESSAGE and not self.is_pin(e) and e[0] > ct
        ]

    def tail(self, tokens: int) -> list[int]:
        kept: list[int] = []
        used = 0
        for e in reversed(self.eligible_active()):
            if used + e[3] > tokens:
                break
            used += e[3]
            kept.append(e[0])
        return kept[::-1]

    def active_tokens(self) -> int:
        pins = sum(e[3] for e in self.entries if self.is_pin(e))
        summaries = [e for e in self.entries if e[5] is EntryKind.SUMMARY]
        newest = summaries[-1][3] if summaries else 0
        return pins + newest + sum(e[3] for e in self.eligible_active())


drafts_strategy = st.lists(
    st.builds(
        lambda role, tokens, pinned: (role, tokens, pinned),
        st.sampled_from([Role.USER, Role.ASSISTANT, Role.SYSTEM]),
        st.integers(1, 30),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


class StoreMachine(RuleBasedStateMachine):
    """Drives one store and the model side by side; every answer must agree."""

    store: Store

    contexts = Bundle("contexts")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.tenants = [str(uuid.uuid4()), str(uuid.uuid4())]
        self.model: dict[str, ModelContext] = {}
        self.texts = itertools.count()

    # -- rules -------------------------------------------------------------------

    @initialize(target=contexts, tenant=st.sampled_from([0, 1]), spec=drafts_strategy)
    def seeded(self, tenant: int, spec: list[tuple[Role, int, bool]]) -> str:
        """Start with one non-empty context so later rules have history to work on."""
        cid = self.create(tenant)
        self.append(cid, spec, "none", None)
        return cid

    @rule(target=contexts, tenant=st.sampled_from([0, 1]))
    def create(self, tenant: int) -> str:
        ctx = make_context(self.store, self.tenants[tenant], self.clock)
        self.model[ctx.id] = ModelContext(tenant=self.tenants[tenant])
        return ctx.id

    @rule(
        cid=contexts,
        spec=drafts_strategy,
        expect=st.sampled_from(["none", "none", "head", "head", "stale"]),
        key=st.none() | st.sampled_from(["k1", "k2", "k3"]),
    )
    def append(self, cid: str, spec: list[tuple[Role, int, bool]], expect: str, key: str | None):
        m = self.model[cid]
        drafts = [draft(f"t{next(self.texts)}", role=r, tokens=t, pinned=p) for r, t, p in spec]
        fp = batch_fingerprint(drafts) if key else None
        expected = {"none": None, "head": m.head, "stale": m.head + 1}[expect]
        call = lambda: self.store.append(  # noqa: E731
            m.tenant,
            cid,
            drafts,
            now=self.clock.now(),
            expected_version=expected,
            idempotency_key=key,
            fingerprint=fp,
        )
        if m.deleted:
            with pytest.raises(ContextNotFound):
                call()
            return
        if key is not None and key in m.keys:
            # Texts are unique, so a reused key always carries a different payload.
            with pytest.raises(IdempotencyKeyReused):
                call()
            return
        if expected is not None and expected != m.head:
            with pytest.raises(VersionConflict) as err:
                call()
            assert err.value.current == m.head
            return
        result = call()
        first = m.head + 1
        for offset, d in enumerate(drafts):
            m.entries.append(_project_draft(d, first + offset))
        got = (result.first_version, result.last_version, result.head_version, result.token_count)
        assert got == (first, m.head, m.head, sum(d.token_count for d in drafts))
        if key is not None and fp is not None:
            m.keys[key] = (fp, got)
            self._replay(cid, key, drafts, fp)

    def _replay(self, cid: str, key: str, drafts: list[EntryDraft], fp: str) -> None:
        m = self.model[cid]
        again = self.store.append(
            m.tenant,
            cid,
            drafts,
            now=self.clock.now(),
            expected_version=0,
            idempotency_key=key,
            fingerprint=fp,
        )
        assert again.replayed
        got = (again.first_version, again.last_version, again.head_version, again.token_count)
        assert got == m.keys[key][1]

    @rule(cid=contexts, at=st.integers(-1, 40), after=st.integers(0, 40), limit=st.integers(1, 7))
    def read(self, cid: str, at: int, after: int, limit: int) -> None:
        m = self.model[cid]
        if m.deleted:
            with pytest.raises(ContextNotFound):
                self.store.read_entries(m.tenant, cid, at=at)
            return
        if not 0 <= at <= m.head:
            with pytest.raises(VersionOutOfRange):
                self.store.read_entries(m.tenant, cid, at=at)
            return
        page = self.store.read_entries(m.tenant, cid, after=after, limit=limit, at=at)
        want = m.entries[after:at][:limit]
        assert [project(e) for e in page.items] == want
        more = bool(want) and want[-1][0] < at
        assert page.next_cursor == (str(want[-1][0]) if more else None)

    @rule(target=contexts, cid=contexts, at=st.integers(0, 40))
    def fork(self, cid: str, at: int) -> str:
        m = self.model[cid]
        new_id = str(uuid.uuid4())
        call = lambda: self.store.fork(  # noqa: E731
            m.tenant, cid, version=at, new_id=new_id, name="f", now=self.clock.now()
        )
        if m.deleted:
            with pytest.raises(ContextNotFound):
                call()
            return cid
        if at > m.head:
            with pytest.raises(VersionOutOfRange):
                call()
            return cid
        child = call()
        assert (child.parent_id, child.fork_version, child.head_version) == (cid, at, at)
        self.model[new_id] = ModelContext(
            tenant=m.tenant, entries=list(m.entries[:at]), parent=cid, fork_version=at
        )
        return new_id

    @rule(cid=contexts, really=st.integers(0, 3))
    def delete(self, cid: str, really: int) -> None:
        # One draw in four deletes: deleting less often leaves histories to grow.
        if really:
            return
        m = self.model[cid]
        if m.deleted:
            with pytest.raises(ContextNotFound):
                self.store.delete_context(m.tenant, cid, now=self.clock.now())
            return
        self.store.delete_context(m.tenant, cid, now=self.clock.now())
        m.deleted = True

    @rule(cid=contexts, tokens=st.integers(0, 120))
    def window(self, cid: str, tokens: int) -> None:
        m = self.model[cid]
        if m.deleted:
            return
        got = self.store.window_candidates(m.tenant, cid, tail_tokens=tokens)
        assert [e.version for e in got.tail] == m.tail(tokens)
        assert got.head_version == m.head
        assert got.compacted_through == m.compacted_through()
        assert [e.version for e in got.pins] == [e[0] for e in m.entries if m.is_pin(e)]
        summaries = [e[0] for e in m.entries if e[5] is EntryKind.SUMMARY]
        assert (got.summary.version if got.summary else None) == (
            summaries[-1] if summaries else None
        )

    @rule(cid=contexts, data=st.data())
    def compact(self, cid: str, data: st.DataObject) -> None:
        m = self.model[cid]
        if m.deleted or m.head == 0:
            return
        view = self.store.compaction_view(m.tenant, cid)
        assert [project(e) for e in view.entries] == m.eligible_active()
        assert view.active_tokens == m.active_tokens()
        assert view.compacted_through == m.compacted_through()
        last = data.draw(st.integers(1, m.head))
        stale = data.draw(st.integers(0, 3)) == 0
        d = summary(1, last, text=f"s{next(self.texts)}", tokens=data.draw(st.integers(1, 20)))
        expected = m.head - 1 if stale else m.head
        if stale:
            with pytest.raises(VersionConflict):
                self.store.record_compaction(
                    m.tenant, cid, d, expected_version=expected, now=self.clock.now()
                )
            return
        result = self.store.record_compaction(
            m.tenant, cid, d, expected_version=expected, now=self.clock.now()
        )
        m.entries.append(_project_draft(d, m.head + 1))
        assert result.first_version == result.head_version == m.head

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def contexts_agree(self) -> None:
        for cid, m in self.model.items():
            if m.deleted:
                with pytest.raises(ContextNotFound):
                    self.store.get_context(m.tenant, cid)
                continue
            ctx = self.store.get_context(m.tenant, cid)
            assert ctx.head_version == m.head
            assert ctx.token_total == sum(e[3] for e in m.entries)
            assert ctx.compacted_through == m.compacted_through()
            assert (ctx.parent_id, ctx.fork_version) == (m.parent, m.fork_version)

    @invariant()
    def listings_agree(self) -> None:
        for tenant in self.tenants:
            live = {cid for cid, m in self.model.items() if m.tenant == tenant and not m.deleted}
            listed = self.store.list_contexts(tenant, limit=1000).items
            assert {c.id for c in listed} == live
        for cid, m in self.model.items():
            if m.deleted:
                continue
            kids = {k for k, c in self.model.items() if c.parent == cid and not c.deleted}
            assert {c.id for c in self.store.list_forks(m.tenant, cid)} == kids


def _project_draft(d: EntryDraft, version: int) -> tuple[Any, ...]:
    return (version, d.role, d.content, d.token_count, d.pinned, d.kind, d.covers)


def test_store_agrees_with_the_model(store: Store) -> None:
    machine = type("BoundStoreMachine", (StoreMachine,), {"store": store})
    run_state_machine_as_test(
        machine,
        settings=settings(
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
