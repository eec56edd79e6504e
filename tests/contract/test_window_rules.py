"""Tool-result clearing and cache-stable windows through the engine, on every store."""

from __future__ import annotations

import itertools

from domain.model import ContextChanges, Message, Policy, Role, ToolCall
from domain.tool_clearing import CLEARED_TEXT
from domain.window import Window
from entrypoints.engine import Engine
from tests.contract.support import TOKENS


def turn(i: int, tool: str | None = None) -> list[Message]:
    """A user question, optionally a tool call and its long result, and an answer."""
    out = [Message(role=Role.USER, content=f"question {i} about the ledger")]
    if tool is not None:
        out.append(
            Message(role=Role.ASSISTANT, tool_calls=(ToolCall(id=f"c{i}", name=tool),))
        )
        out.append(
            Message(role=Role.TOOL, tool_call_id=f"c{i}", content=f"row {i} " * 60)
        )
    out.append(Message(role=Role.ASSISTANT, content=f"answer {i}: the total is {i * 7}"))
    return out


def stub_tokens() -> int:
    [count] = TOKENS.count([CLEARED_TEXT], encoding="cl100k_base")
    return count.tokens + 3


def test_old_tool_results_travel_as_stubs_and_stay_whole_in_history(
    engine: Engine, tenant: str
) -> None:
    policy = Policy(budget=1200, clear_tool_results=True, clear_keep=2, clear_exclude=["pin"])
    ctx = engine.create_context(tenant, policy=policy)
    for i in range(12):
        engine.append(tenant, ctx.id, turn(i, tool="pin" if i == 1 else "search"))
    w = engine.window(tenant, ctx.id)
    history = {e.version: e for e in engine.entries(tenant, ctx.id, limit=500).items}
    cleared = [x for x in w.entries if x.cleared]
    assert len(cleared) == 9  # 12 results, the newest 2 kept, the excluded one kept
    for x in cleared:
        original = history[x.entry.version]
        assert original.content != CLEARED_TEXT  # the history keeps the result
        assert x.entry.content == CLEARED_TEXT
        assert x.entry.tool_call_id == original.tool_call_id
        assert x.entry.token_count == stub_tokens()
        # Its call travels with it.
        assert any(
            y.entry.version == x.entry.version - 1 and y.entry.tool_calls for y in w.entries
        )
    kept = [x for x in w.entries if x.entry.role is Role.TOOL and not x.cleared]
    assert [history[x.entry.version - 1].tool_calls[0].name for x in kept] == [
        "pin", "search", "search",
    ]
    saved = sum(history[x.entry.version].token_count - stub_tokens() for x in cleared)
    assert w.tokens_saved == saved
    assert w.tokens == sum(x.entry.token_count for x in w.entries) <= 1200
    # Without clearing the same budget holds fewer turns.
    off = ContextChanges(policy_fields={"clear_tool_results": False})
    engine.update_context(tenant, ctx.id, off)
    plain = engine.window(tenant, ctx.id)
    assert len(plain.entries) < len(w.entries) and plain.tokens_saved == 0


def test_clearing_waits_for_its_trigger(engine: Engine, tenant: str) -> None:
    ctx = engine.create_context(tenant, policy=Policy(budget=4000, clear_tool_results=True))
    for i in range(5):
        engine.append(tenant, ctx.id, turn(i, tool="search"))
    total = engine.get_context(tenant, ctx.id).token_total
    engine.update_context(tenant, ctx.id, ContextChanges(policy_fields={"clear_trigger": total}))
    assert not any(x.cleared for x in engine.window(tenant, ctx.id).entries)
    engine.update_context(
        tenant, ctx.id, ContextChanges(policy_fields={"clear_trigger": total - 1})
    )
    assert sum(x.cleared for x in engine.window(tenant, ctx.id).entries) == 2


def _keys(w: Window) -> list[tuple[int, bool]]:
    return [(x.entry.version, x.cleared) for x in w.entries]


def test_cache_stable_windows_keep_their_prefix_across_turns(engine: Engine, tenant: str) -> None:
    policy = Policy(budget=600, cache_stable=True)
    ctx = engine.create_context(tenant, policy=policy)
    engine.append(tenant, ctx.id, [Message(role=Role.SYSTEM, content="You keep the ledger.")])
    windows: list[Window] = []
    for i in range(60):
        engine.append(tenant, ctx.id, turn(i))
        windows.append(engine.window(tenant, ctx.id))
    outgrown = [w for w in windows if w.omitted_count]
    assert len(outgrown) > 30
    starts = {w.entries[1].entry.version for w in outgrown}
    # The start moves in blocks: far fewer starts than windows.
    assert len(starts) < len(outgrown) / 3
    for earlier, later in itertools.pairwise(windows):
        assert later.tokens <= 600 and later.entries[0].entry.role is Role.SYSTEM
        if earlier.entries[1].entry.version == later.entries[1].entry.version:
            assert _keys(later)[: len(earlier.entries)] == _keys(earlier)
            # At the previous head the window held the earlier one and this turn's
            # question: all of it is shared.
            assert (later.shared_prefix_tokens or 0) >= earlier.tokens
        assert later.shared_prefix_tokens is not None
        assert 0 <= later.shared_prefix_tokens <= later.tokens
