"""Memory and PostgreSQL in lock-step: every operation is applied to an engine over each
store, and every answer (values and errors alike) must be the same.

As hypothesis's own test_database_agreement does for its example databases; the model
check in test_state_machine.py holds each store to a plain model besides.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.tokens import OfflineTokenCounter
from domain.errors import KataError
from domain.model import ContextChanges, Message, Policy, Role, SearchHit, ToolCall
from entrypoints.engine import Engine, Store
from tests.conftest import FakeClock
from tests.postgres_fixtures import StoreFactory

DIM = 16
# Embeddings from a few directions, exact in float32: entries of one direction tie
# exactly in both stores (ties go to the newer version), different directions never do.
DIRECTIONS = [
    (1.0, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (1.0, 1.0, 0.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.0, 2.0),
]
WORDS = ["deploy", "rollback", "invoice", "latency", "Zephyr", "db_main", "v2", "café", "the"]
COUNTER = OfflineTokenCounter()


def embedding(direction: int) -> tuple[float, ...]:
    """A direction, zero-padded to DIM."""
    return DIRECTIONS[direction] + (0.0,) * (DIM - len(DIRECTIONS[direction]))


@st.composite
def messages(draw: st.DrawFn) -> list[Message]:
    """A batch: plain messages (some pinned or system, some embedded), or a tool exchange."""
    if draw(st.integers(0, 4)) == 0:
        call = ToolCall(id=f"call-{draw(st.integers(0, 10**6))}", name="lookup", arguments="{}")
        words = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4)))
        return [
            Message(role=Role.ASSISTANT, tool_calls=(call,), token_count=draw(st.integers(1, 9))),
            Message(role=Role.TOOL, content=words, tool_call_id=call.id, token_count=5),
        ]
    batch = []
    for _ in range(draw(st.integers(1, 4))):
        direction = draw(st.none() | st.integers(0, len(DIRECTIONS) - 1))
        batch.append(
            Message(
                role=draw(st.sampled_from([Role.USER, Role.ASSISTANT, Role.USER, Role.SYSTEM])),
                content=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=6))) or "ok",
                token_count=draw(st.none() | st.integers(1, 40)),
                pinned=draw(st.integers(0, 9)) == 0,
                embedding=None if direction is None else embedding(direction),
            )
        )
    return batch


policies = st.builds(
    Policy,
    budget=st.sampled_from([60, 120, 400]),
    reserve=st.sampled_from([0, 10]),
    threshold=st.sampled_from([0.5, 0.8, 1.0]),
    keep_recent=st.integers(0, 4),
    enabled=st.booleans(),
    relevant_share=st.sampled_from([0.25, 0.5, 1.0]),
    neighbours=st.integers(0, 2),
)


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """What a call answered: its value, or its error's type and message."""
    try:
        return ("ok", fn())
    except KataError as err:
        return ("error", (type(err).__name__, str(err)))


def hit_keys(hits: tuple[SearchHit, ...]) -> list[tuple[str, int]]:
    """Which entries a search found, in order (scores are float32 in PostgreSQL)."""
    return [(h.context_id, h.entry.version) for h in hits]


class RunIds:
    """Sequential ids under a prefix fresh for each run: both engines get the same ids."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._n = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._n):06d}"


class AgreementMachine(RuleBasedStateMachine):
    """One engine per store, driven in lock-step."""

    postgres: Store
    contexts = Bundle("contexts")

    def __init__(self) -> None:
        super().__init__()
        run = str(uuid.uuid4())
        self.engines = [
            Engine(
                store=store,
                tokens=COUNTER,
                summarizer=ExtractiveSummarizer(COUNTER),
                clock=FakeClock(),
                ids=RunIds(run),
                dimension=DIM,
            )
            for store in (MemoryStore(), self.postgres)
        ]
        self.tenants = [f"{run}-a", f"{run}-b"]
        self.keys = itertools.count()

    def both(self, call: Callable[[Engine], Any]) -> tuple[str, Any]:
        """Apply `call` to each engine; the answers must be equal."""
        memory, postgres = (outcome(lambda e=e: call(e)) for e in self.engines)
        assert postgres == memory
        return memory

    # -- writes ----------------------------------------------------------------------

    @initialize(target=contexts, tenant=st.integers(0, 1), policy=policies)
    def first_context(self, tenant: int, policy: Policy) -> Any:
        return self.create(tenant, policy)

    @rule(target=contexts, tenant=st.integers(0, 1), policy=policies)
    def create(self, tenant: int, policy: Policy) -> Any:
        _, ctx = self.both(lambda e: e.create_context(self.tenants[tenant], policy=policy))
        return (tenant, ctx.id)

    @rule(
        ctx=contexts,
        batch=messages(),
        key=st.sampled_from(["none", "new", "reuse"]),
        expect=st.sampled_from(["none", "head", "stale"]),
    )
    def append(self, ctx: tuple[int, str], batch: list[Message], key: str, expect: str) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        kind, head = self.both(lambda e: e.get_context(tenant, cid).head_version)
        head = head if kind == "ok" else 0
        expected = {"none": None, "head": head, "stale": head + 1}[expect]
        idem = {"none": None, "new": f"k{next(self.keys)}", "reuse": "k-shared"}[key]
        self.both(
            lambda e: e.append(
                tenant, cid, batch, expected_version=expected, idempotency_key=idem
            )
        )

    @rule(target=contexts, ctx=contexts, at=st.integers(-1, 40), named=st.booleans())
    def fork(self, ctx: tuple[int, str], at: int, named: bool) -> Any:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        version = None if at < 0 else at
        kind, child = self.both(
            lambda e: e.fork(tenant, cid, version=version, name="branch" if named else None)
        )
        return (ctx[0], child.id) if kind == "ok" else multiple()

    @rule(ctx=contexts, force=st.booleans())
    def compact(self, ctx: tuple[int, str], force: bool) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        self.both(lambda e: e.compact(tenant, cid, force=force))

    @rule(ctx=contexts, policy=policies, name=st.none() | st.sampled_from(["a", "b"]))
    def update(self, ctx: tuple[int, str], policy: Policy, name: str | None) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        changes = ContextChanges(name=name, policy=policy)
        self.both(lambda e: e.update_context(tenant, cid, changes))

    @rule(ctx=consumes(contexts))
    def delete(self, ctx: tuple[int, str]) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        self.both(lambda e: e.delete_context(tenant, cid))

    @rule(ctx=contexts, guess=st.integers(1, 40), in_force=st.booleans())
    def revert(self, ctx: tuple[int, str], guess: int, in_force: bool) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        version = guess
        if in_force:
            kind, window = self.both(lambda e: e.window(tenant, cid))
            if kind == "ok":
                found = [w.entry.version for w in window.entries if w.entry.is_summary]
                version = found[0] if found else guess
        self.both(lambda e: e.revert_compaction(tenant, cid, version))

    @rule(ctx=contexts, deleted_first=st.booleans())
    def purge(self, ctx: tuple[int, str], deleted_first: bool) -> None:
        # The context stays in the bundle: every later call on it must fail alike.
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        if deleted_first:
            self.both(lambda e: e.delete_context(tenant, cid))
        self.both(lambda e: e.purge(tenant, cid))

    # -- reads -----------------------------------------------------------------------

    @rule(ctx=contexts, other_tenant=st.booleans())
    def read_context(self, ctx: tuple[int, str], other_tenant: bool) -> None:
        tenant = self.tenants[1 - ctx[0] if other_tenant else ctx[0]]
        self.both(lambda e: e.get_context(tenant, ctx[1]))
        self.both(lambda e: e.forks(tenant, ctx[1]))

    @rule(ctx=contexts, after=st.integers(0, 20), limit=st.integers(1, 7), at=st.integers(-1, 30))
    def read_entries(self, ctx: tuple[int, str], after: int, limit: int, at: int) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        version = None if at < 0 else at
        self.both(lambda e: e.entries(tenant, cid, after=after, limit=limit, at=version))

    @rule(
        ctx=contexts,
        budget=st.none() | st.integers(1, 300),
        reserve=st.none() | st.integers(0, 20),
        at=st.none() | st.integers(-1, 30),
        summaries=st.booleans(),
    )
    def window(
        self, ctx: tuple[int, str], budget: int | None, reserve: int | None, at: int | None,
        summaries: bool,
    ) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        self.both(
            lambda e: e.window(
                tenant, cid, budget=budget, reserve=reserve, at=at, include_summary=summaries
            )
        )

    @rule(
        ctx=contexts,
        budget=st.none() | st.integers(20, 300),
        direction=st.integers(0, len(DIRECTIONS) - 1),
        text=st.none() | st.sampled_from(WORDS),
        at=st.none() | st.integers(0, 30),
    )
    def query_window(
        self, ctx: tuple[int, str], budget: int | None, direction: int, text: str | None,
        at: int | None,
    ) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        q = embedding(direction)
        self.both(
            lambda e: e.window(tenant, cid, budget=budget, query=text, query_embedding=q, at=at)
        )

    @rule(ctx=contexts, direction=st.integers(0, len(DIRECTIONS) - 1))
    def search_context(self, ctx: tuple[int, str], direction: int) -> None:
        tenant, cid = self.tenants[ctx[0]], ctx[1]
        q = embedding(direction)
        kinds = [
            outcome(lambda e=e: e.search(tenant, q, k=7, context_id=cid)) for e in self.engines
        ]
        assert kinds[0][0] == kinds[1][0]
        if kinds[0][0] == "ok":
            memory, postgres = kinds[0][1], kinds[1][1]
            assert hit_keys(postgres) == hit_keys(memory)
            assert [h.score for h in postgres] == pytest.approx([h.score for h in memory], abs=1e-6)

    @rule(tenant=st.integers(0, 1), direction=st.integers(0, len(DIRECTIONS) - 1))
    def search(self, tenant: int, direction: int) -> None:
        memory, postgres = (
            e.search(self.tenants[tenant], embedding(direction), k=100) for e in self.engines
        )
        assert hit_keys(postgres) == hit_keys(memory)
        assert [h.score for h in postgres] == pytest.approx([h.score for h in memory], abs=1e-6)

    @invariant()
    def same_contexts(self) -> None:
        for tenant in self.tenants:
            self.both(lambda e, t=tenant: e.list_contexts(t, limit=1000))


@pytest.mark.postgres
def test_memory_and_postgres_agree_in_lock_step(postgres_stores: StoreFactory) -> None:
    AgreementMachine.postgres = postgres_stores(DIM)[0]
    run_state_machine_as_test(
        AgreementMachine,
        settings=settings(
            settings.default,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
