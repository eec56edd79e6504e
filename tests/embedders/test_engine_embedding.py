"""An engine with a server-side embedder: vectors on append and for the query, checked."""

from __future__ import annotations

import pytest

from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import UuidIds
from adapters.tokens import OfflineTokenCounter
from domain.errors import InvalidInput
from domain.model import Message, Role, ToolCall
from domain.window import Reason
from entrypoints.engine import Engine, Store
from tests.conftest import FakeClock
from tests.postgres_fixtures import StoreFactory


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture(params=["memory", "postgres"])
def local_store(request: pytest.FixtureRequest) -> Store:
    """A store whose deployment dimension is the local model's."""
    if request.param == "postgres":
        stores: StoreFactory = request.getfixturevalue("postgres_stores")
        return stores(LOCAL_DIMENSION)[0]
    return MemoryStore()


def engine_for(store: Store, embedder: LocalEmbedder, dimension: int) -> Engine:
    tokens = OfflineTokenCounter()
    return Engine(store=store, tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                  clock=FakeClock(), ids=UuidIds(), embedder=embedder, dimension=dimension)


def test_an_embedder_of_another_dimension_is_refused_at_startup(
    embedder: LocalEmbedder,
) -> None:
    expected = f"{LOCAL_DIMENSION}-dimensional vectors but the deployment's dimension is 1536"
    with pytest.raises(InvalidInput, match=expected):
        engine_for(MemoryStore(), embedder, 1536)


def test_entries_without_vectors_are_embedded_on_append_and_queries_too(
    local_store: Store, embedder: LocalEmbedder
) -> None:
    engine = engine_for(local_store, embedder, LOCAL_DIMENSION)
    ctx = engine.create_context("00000000-0000-4000-8000-00000000abcd")
    tenant = ctx.tenant_id
    given = (1.0,) + (0.0,) * (LOCAL_DIMENSION - 1)
    facts = [
        Message(role=Role.USER, content="Our invoices are stored in the ledger bucket."),
        Message(role=Role.ASSISTANT, content="Noted, the ledger bucket keeps the invoices."),
        Message(role=Role.USER, content="Kept as is.", embedding=given),
        Message(role=Role.ASSISTANT, tool_calls=(ToolCall(id="c", name="noop"),), content=""),
        Message(role=Role.TOOL, tool_call_id="c", content=""),
    ]
    chatter = [Message(role=Role.USER if i % 2 else Role.ASSISTANT,
                       content=f"Let us talk about the weather on day {i}, cloudy again.")
               for i in range(40)]
    engine.append(tenant, ctx.id, facts + chatter)
    stored = engine.entries(tenant, ctx.id, limit=5).items
    assert [len(e.embedding or ()) for e in stored[:4]] == [LOCAL_DIMENSION] * 4
    assert stored[2].embedding == given  # a client's vector is kept as sent
    assert stored[4].embedding is None  # a blank text has nothing to embed
    window = engine.window(tenant, ctx.id, budget=400, query="Where do the invoices live?")
    relevant = {w.entry.version for w in window.entries if w.reason is Reason.RELEVANT}
    assert {1, 2} <= relevant
