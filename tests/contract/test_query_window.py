"""The query-aware window through the engine, on every adapter.

Each case is built without ties in the rankings, and its expected window is worked out
here from a plain model (exact cosine order, which entries match the query's words), so
memory and Postgres are both held to the same answer.
"""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.store import MemoryStore
from domain.errors import DimensionMismatch, InvalidInput
from domain.model import Message, Policy, Role, ToolCall
from domain.window import Reason, Window
from entrypoints.engine import Engine, Store
from tests.conftest import FakeClock
from tests.contract.support import engine_over, vec

N = 60
TOKENS = 10



def angle(version: int) -> float:
    """A distinct angle (radians) per version, in a scrambled order: no cosine ties."""
    return math.radians((version * 37 % N) * 1.4)


def message(version: int, text: str | None = None, **kw: object) -> Message:
    role = Role.USER if version % 2 else Role.ASSISTANT
    options: dict[str, object] = {
        "role": role,
        "content": text or f"plain chatter number {version}",
        "token_count": TOKENS,
        "embedding": vec(math.cos(angle(version)), math.sin(angle(version))),
        **kw,
    }
    return Message(**options)  # type: ignore[arg-type]


def seeded(engine: Engine, tenant: str, messages: list[Message], **policy: object) -> str:
    ctx = engine.create_context(tenant, policy=Policy(**policy))  # type: ignore[arg-type]
    engine.append(tenant, ctx.id, messages)
    return ctx.id


def shape(window: Window) -> list[tuple[int, str]]:
    return [(w.entry.version, w.reason.value) for w in window.entries]


def by_cosine(versions: list[int]) -> list[int]:
    """Versions best first by cosine to the query vector (1, 0): smallest angle first."""
    return sorted(versions, key=angle)


def test_semantic_query_keeps_the_closest_older_entries(
    engine: Engine, tenant: str
) -> None:
    cid = seeded(engine, tenant, [message(v) for v in range(1, N + 1)])
    window = engine.window(tenant, cid, budget=200, query_embedding=vec(1.0, 0.0))
    # Latest turn v59-v60 (20); share 100 = ten entries; the rest (80) are v51..v58, sent
    # anyway, so relevance skips them and takes the ten closest of v1..v50.
    relevant = sorted(by_cosine(list(range(1, 51)))[:10])
    expected = [(v, "relevant") for v in relevant] + [(v, "recent") for v in range(51, 61)]
    assert shape(window) == expected
    assert window.tokens == 200
    scores = [w.score for w in window.entries if w.reason is Reason.RELEVANT]
    assert all(s is not None and s > 0 for s in scores)


def test_lexical_query_finds_the_entry_that_names_it(engine: Engine, tenant: str) -> None:
    messages = [message(v, embedding=None) for v in range(1, N + 1)]
    messages[6] = message(7, "the vault code is zebra-4471 remember it", embedding=None)
    messages[20] = message(21, "zebra crossings are striped", embedding=None)
    cid = seeded(engine, tenant, messages)
    window = engine.window(tenant, cid, budget=100, query="what was the vault code")
    assert shape(window) == [(7, "relevant")] + [(v, "recent") for v in range(52, 61)]
    # Both adapters rank v7 alone: only it holds "vault" and "code".
    window = engine.window(tenant, cid, budget=100, query="zebra vault")
    assert shape(window)[:2] == [(7, "relevant"), (21, "relevant")]


def test_text_and_vector_fuse_and_neighbours_come_along(engine: Engine, tenant: str) -> None:
    messages = [message(v) for v in range(1, N + 1)]
    messages[10] = message(11, "deploy key for orion is kept in the blue safe")
    cid = seeded(engine, tenant, messages, neighbours=1)
    best = by_cosine(list(range(1, 40)))[0]
    window = engine.window(tenant, cid, budget=200, query="orion deploy key",
                           query_embedding=vec(1.0, 0.0))
    got = dict(shape(window))
    for v in (10, 11, 12, best - 1, best, best + 1):
        assert got.get(v) == "relevant", v
    scores = {w.entry.version: w.score for w in window.entries}
    assert scores[10] is None and scores[12] is None and scores[11] is not None


def test_a_relevant_tool_result_brings_its_whole_call(engine: Engine, tenant: str) -> None:
    messages = [message(v, embedding=vec(0.0, 1.0)) for v in range(1, N + 1)]
    calls = (ToolCall(id="a", name="lookup"), ToolCall(id="b", name="weather"))
    messages[19] = Message(role=Role.ASSISTANT, tool_calls=calls, token_count=TOKENS)
    messages[20] = Message(role=Role.TOOL, tool_call_id="a", content="found", token_count=TOKENS)
    messages[21] = Message(role=Role.TOOL, tool_call_id="b", content="sunny in Lisbon",
                           token_count=TOKENS, embedding=vec(1.0, 0.0))
    cid = seeded(engine, tenant, messages)
    window = engine.window(tenant, cid, budget=200, query_embedding=vec(1.0, 0.0))
    got = dict(shape(window))
    assert got[20] == got[21] == got[22] == "relevant"
    relevant = [w for w in window.entries if w.reason is Reason.RELEVANT]
    assert relevant[0].entry.version == 20 and relevant[0].score is None
    assert next(w.entry.version for w in relevant if w.score is not None) == 22


def test_compacted_entries_are_never_relevant(
    engine: Engine, store: Store, tenant: str
) -> None:
    messages = [message(v) for v in range(1, N + 1)]
    messages[4] = message(5, "the orion password is kept offline")
    cid = seeded(engine, tenant, messages, keep_recent=30, budget=4000)
    engine.compact(tenant, cid, force=True)
    through = store.get_context(tenant, cid).compacted_through
    assert through >= 5
    window = engine.window(tenant, cid, budget=1000, query="orion password",
                           query_embedding=vec(1.0, 0.0))
    relevant = [w.entry.version for w in window.entries if w.reason is Reason.RELEVANT]
    assert relevant and min(relevant) > through
    assert window.entries[0].reason is Reason.SUMMARY
    assert window.summary_covers is not None and window.summary_covers.last == through


def test_no_query_is_the_plain_window(engine: Engine, tenant: str) -> None:
    cid = seeded(engine, tenant, [message(v) for v in range(1, N + 1)])
    plain = engine.window(tenant, cid, budget=200)
    assert shape(plain) == [(v, "recent") for v in range(41, 61)]
    assert engine.window(tenant, cid, budget=200, query="   ") == plain


def test_query_vectors_are_checked(engine: Engine, tenant: str) -> None:
    cid = seeded(engine, tenant, [message(v) for v in range(1, 5)])
    with pytest.raises(DimensionMismatch):
        engine.window(tenant, cid, budget=200, query_embedding=(1.0, 0.0))
    with pytest.raises(InvalidInput):
        engine.window(tenant, cid, budget=200, query="nul \x00 inside")


def test_share_and_neighbours_per_call_override_the_policy(engine: Engine, tenant: str) -> None:
    messages = [message(v) for v in range(1, N + 1)]
    messages[10] = message(11, "deploy key for orion is kept in the blue safe")
    cid = seeded(engine, tenant, messages, neighbours=0, relevant_share=0.5)
    ask = {"budget": 200, "query": "orion deploy key"}
    default = dict(shape(engine.window(tenant, cid, **ask)))
    assert default.get(11) == "relevant" and 10 not in default and 12 not in default
    wider = dict(shape(engine.window(tenant, cid, **ask, neighbours=1)))
    assert wider.get(10) == wider.get(11) == wider.get(12) == "relevant"
    none = engine.window(tenant, cid, **ask, relevant_share=0.0)
    assert none == engine.window(tenant, cid, budget=200)
    for bad in ({"relevant_share": 1.5}, {"relevant_share": -0.1}, {"neighbours": 5},
                {"neighbours": -1}):
        with pytest.raises(InvalidInput):
            engine.window(tenant, cid, **ask, **bad)  # type: ignore[arg-type]


def test_a_fact_about_it_is_found_by_the_subject_named_turns_before(
    engine: Engine, tenant: str
) -> None:
    chatter = [message(v) for v in range(1, N + 1)]
    chatter[9] = message(10, "Let's switch to Zephyr for a moment.")
    chatter[10] = message(11, "Sure, what about it?")
    chatter[11] = message(12, "Its staging box listens on port 8443 now.")
    for v in (30, 40, 50):
        chatter[v - 1] = message(v, f"the staging box of another project listens on port {v}")
    cid = seeded(engine, tenant, chatter)
    window = engine.window(tenant, cid, budget=150, query="Which port is Zephyr's staging box on?")
    relevant = [w.entry.version for w in window.entries if w.reason is Reason.RELEVANT]
    assert 12 in relevant
    assert engine.get_context(tenant, cid).scope[0] == "zephyr"


# -- memory and Postgres agree where their rankings do ----------------------------------


@st.composite
def histories(draw: st.DrawFn) -> list[Message]:
    """User/assistant turns with tool calls; every entry a distinct angle (no cosine ties)."""
    n = draw(st.integers(min_value=2, max_value=40))
    order = draw(st.permutations(range(n)))
    out: list[Message] = []
    calls = 0
    while len(out) < n:
        version = len(out) + 1
        vector = vec(math.cos(math.radians(order[version - 1] * 2.0)),
                     math.sin(math.radians(order[version - 1] * 2.0)))
        tokens = draw(st.integers(min_value=1, max_value=30))
        if out and out[-1].tool_calls:
            out.append(Message(role=Role.TOOL, tool_call_id=out[-1].tool_calls[0].id,
                               content="result", token_count=tokens, embedding=vector))
        elif version % 2 == 0 and version < n and draw(st.booleans()):
            calls += 1
            call = ToolCall(id=f"c{calls}", name="f")
            out.append(Message(role=Role.ASSISTANT, tool_calls=(call,), token_count=tokens,
                               embedding=vector))
        else:
            role = Role.USER if version % 2 else Role.ASSISTANT
            out.append(Message(role=role, content=f"entry {version}", token_count=tokens,
                               embedding=vector))
    return out


@given(history=histories(), budget=st.integers(min_value=20, max_value=400),
       share=st.sampled_from([0.25, 0.5, 1.0]), neighbours=st.integers(0, 2),
       angle=st.integers(0, 89))
def test_memory_and_postgres_give_the_same_window(
    postgres_store: Store, history: list[Message], budget: int, share: float,
    neighbours: int, angle: int,
) -> None:
    # A quarter of the way between two entries' angles: every cosine differs.
    turn = math.radians(angle * 2.0 + 0.5)
    query = vec(math.cos(turn), math.sin(turn))
    shapes = []
    for store in (MemoryStore(), postgres_store):
        engine = engine_over(store, FakeClock())
        tenant = str(uuid.uuid4())
        ctx = engine.create_context(
            tenant, policy=Policy(relevant_share=share, neighbours=neighbours))
        engine.append(tenant, ctx.id, history)
        window = engine.window(tenant, ctx.id, budget=budget, query_embedding=query)
        shapes.append([(w.entry.version, w.reason.value, w.score) for w in window.entries])
    assert shapes[0] == shapes[1]
