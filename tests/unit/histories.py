"""Hypothesis strategies for realistic histories: tool-call groups, pins, a summary."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from domain.model import Entry, EntryKind, Role, ToolCall, VersionRange
from domain.window import WindowCandidates

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# One step of a conversation: ("user"|"assistant"|"system"|"pinned", tokens) or
# ("call", tokens, result token counts) for an assistant tool call and its results.
_step = st.one_of(
    st.tuples(st.sampled_from(["user", "assistant"]), st.integers(1, 40)),
    st.tuples(st.just("system"), st.integers(1, 15)),
    st.tuples(st.just("pinned"), st.integers(1, 15)),
    st.tuples(
        st.just("call"), st.integers(1, 20), st.lists(st.integers(1, 30), min_size=1, max_size=3)
    ),
)


def build_history(steps: list[tuple], start: int = 0) -> list[Entry]:  # type: ignore[type-arg]
    """Entries start+1..start+n for the steps, in order."""
    out: list[Entry] = []

    def add(role: Role, tokens: int, **kw: object) -> None:
        version = start + len(out) + 1
        out.append(
            Entry(
                version=version,
                role=role,
                content=f"v{version}",
                token_count=tokens,
                created_at=T0,
                **kw,  # type: ignore[arg-type]
            )
        )

    for step in steps:
        kind, tokens = step[0], step[1]
        if kind == "call":
            ids = [f"c{start + len(out)}-{i}" for i in range(len(step[2]))]
            calls = tuple(ToolCall(id=i, name="tool") for i in ids)
            add(Role.ASSISTANT, tokens, tool_calls=calls)
            for call_id, result_tokens in zip(ids, step[2], strict=True):
                add(Role.TOOL, result_tokens, tool_call_id=call_id)
        elif kind == "system":
            add(Role.SYSTEM, tokens)
        elif kind == "pinned":
            add(Role.USER, tokens, pinned=True)
        else:
            add(Role(kind), tokens)
    return out


def with_summary(history: list[Entry], covers_last: int, tokens: int) -> list[Entry]:
    """The history with a compaction summary appended, covering 1..covers_last."""
    summary = Entry(
        version=len(history) + 1,
        role=Role.SYSTEM,
        content="summary",
        token_count=tokens,
        kind=EntryKind.SUMMARY,
        covers=VersionRange(first=1, last=covers_last),
        created_at=T0,
    )
    return [*history, summary]


def candidates_of(history: list[Entry]) -> WindowCandidates:
    """What a store hands the window rule for this history (the whole eligible tail)."""
    summaries = [e for e in history if e.is_summary]
    summary = summaries[-1] if summaries else None
    through = summary.covers.last if summary is not None and summary.covers else 0
    return WindowCandidates(
        head_version=len(history),
        compacted_through=through,
        pins=tuple(e for e in history if e.is_pin),
        summary=summary,
        tail=tuple(e for e in history if not e.is_pin and not e.is_summary and e.version > through),
    )


@st.composite
def histories(draw: st.DrawFn, *, max_steps: int = 12) -> list[Entry]:
    """A history of entries, sometimes ending in a summary and more entries after it."""
    history = build_history(draw(st.lists(_step, max_size=max_steps)))
    if history and draw(st.booleans()):
        covers_last = draw(st.integers(1, len(history)))
        history = with_summary(history, covers_last, draw(st.integers(1, 30)))
        history += build_history(draw(st.lists(_step, max_size=max_steps // 2)), len(history))
    return history


candidate_sets = histories().map(candidates_of)
