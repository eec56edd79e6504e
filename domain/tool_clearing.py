"""Tool-result clearing: old tool results travel in the window as a short stub.

The stub keeps the entry's version, role, `tool_call_id` and name, so the call/result
pairing a provider checks stays valid; the original stays in the history untouched. The
tokens a stub frees go to more history.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from domain.model import Entry, Policy, Role, TokenSource
from domain.records import Record
from domain.tokens import FRAMING_TOKENS, NAME_TOKENS
from domain.tool_groups import EntryPool

# Byte-identical in every window, so a cleared result never changes a cached prefix.
CLEARED_TEXT = "[tool result cleared from this window; the full result is kept in the history]"

# How far back the tail is read when clearing is on, in multiples of the available
# tokens: cleared results cost little, so more of the history fits.
CLEAR_REACH = 4


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ToolClearing(Record):
    """The clearing rule of a policy, with the stub's text tokens under its encoding."""

    keep: int
    trigger: int
    exclude: frozenset[str]
    stub_text_tokens: int
    stub_exact: bool = True

    def stub_tokens(self, result: Entry) -> int:
        """What the stub standing for `result` costs: its text plus the chat framing."""
        return self.stub_text_tokens + FRAMING_TOKENS + (NAME_TOKENS if result.name else 0)


def clearing_of(
    policy: Policy, *, stub_text_tokens: int, exact: bool = True
) -> ToolClearing | None:
    """The policy's clearing rule, or None when clearing is off."""
    if not policy.clear_tool_results:
        return None
    return ToolClearing(
        keep=policy.clear_keep,
        trigger=policy.clear_trigger,
        exclude=frozenset(policy.clear_exclude),
        stub_text_tokens=stub_text_tokens,
        stub_exact=exact,
    )


def tool_name(result: Entry, pool: EntryPool) -> str | None:
    """The name of the tool a result answers: its call's, else the result's own name."""
    call = pool.call_for(result)
    if call is not None:
        for c in call.tool_calls:
            if c.id == result.tool_call_id:
                return c.name
    return result.name


def stub_of(result: Entry, clearing: ToolClearing) -> Entry:
    """The stub that stands for `result` in a window."""
    source = TokenSource.COUNTED if clearing.stub_exact else TokenSource.ESTIMATED
    return stubbed(result, tokens=clearing.stub_tokens(result), source=source)


def stubbed(result: Entry, *, tokens: int, source: TokenSource) -> Entry:
    """`result` as its stub of `tokens` tokens (counted or estimated, as `source` says)."""
    return attrs.evolve(
        result, content=CLEARED_TEXT, token_count=tokens, token_source=source, embedding=None
    )


def cleared_tail(
    tail: tuple[Entry, ...],
    clearing: ToolClearing,
    pool: EntryPool,
    *,
    candidate_tokens: int,
    keep_versions: Collection[int] = (),
) -> tuple[tuple[Entry, ...], dict[int, int]]:
    """`tail` with its old tool results stubbed, and the tokens each stub saves by version.

    Nothing is cleared while `candidate_tokens` (what the window draws on) is within the
    trigger. The newest `keep` tool results stay whole, whatever their tool; so do results
    of excluded tools, those in `keep_versions`, and those no longer than their stub.
    """
    if candidate_tokens <= clearing.trigger:
        return tail, {}
    out = list(tail)
    saved: dict[int, int] = {}
    seen = 0
    for i in range(len(out) - 1, -1, -1):
        e = out[i]
        if e.role is not Role.TOOL:
            continue
        seen += 1
        if seen <= clearing.keep or e.version in keep_versions:
            continue
        if tool_name(e, pool) in clearing.exclude:
            continue
        stub = stub_of(e, clearing)
        if stub.token_count < e.token_count:
            out[i] = stub
            saved[e.version] = e.token_count - stub.token_count
    return tuple(out), saved
