"""The wire format of requests: msgspec structs that refuse unknown fields, with their limits."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from domain.model import MAX_BUDGET, MAX_NEIGHBOURS, Role
from entrypoints.engine import MAX_QUERY_CHARS

# Request structs reject unknown fields: a typo ("expected_verison") must not pass silently.
_REQUEST = {"kw_only": True, "forbid_unknown_fields": True}

JSONObj = dict[str, Any]
Budget = Annotated[int, msgspec.Meta(ge=1, le=MAX_BUDGET)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Name = Annotated[str, msgspec.Meta(max_length=256)]
Query = Annotated[str, msgspec.Meta(max_length=MAX_QUERY_CHARS)]
Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
Neighbours = Annotated[int, msgspec.Meta(ge=0, le=MAX_NEIGHBOURS)]


class PolicyIn(msgspec.Struct, **_REQUEST):
    """A context's policy; fields left out take their defaults."""

    budget: Budget | None = None
    reserve: NonNegative | None = None
    threshold: float | None = None
    keep_recent: NonNegative | None = None
    encoding: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    enabled: bool | None = None
    summary_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    relevant_share: float | None = None
    neighbours: NonNegative | None = None
    compaction_margin: float | None = None
    clear_tool_results: bool | None = None
    clear_keep: NonNegative | None = None
    clear_trigger: NonNegative | None = None
    clear_exclude: list[Name] | None = None
    cache_stable: bool | None = None
    cache_block: float | None = None
    record_windows: bool | None = None
    deleted_retention_days: NonNegative | None = None
    receipt_retention_days: NonNegative | None = None

    def given(self) -> dict[str, Any]:
        """The fields the client set."""
        return {f: getattr(self, f) for f in self.__struct_fields__ if getattr(self, f) is not None}


class ContextCreate(msgspec.Struct, **_REQUEST):
    """Create a context."""

    name: Name = ""
    metadata: JSONObj = msgspec.field(default_factory=dict)
    policy: PolicyIn | None = None


class ContextPatch(msgspec.Struct, **_REQUEST):
    """Change a context: fields left out stay as they are, in the policy too.

    `metadata` replaces the whole object.
    """

    name: Name | None = None
    metadata: JSONObj | None = None
    policy: PolicyIn | None = None


class ToolCallIn(msgspec.Struct, **_REQUEST):
    """A tool call made by an assistant message; `arguments` is JSON text."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    arguments: str = "{}"


class MessageIn(msgspec.Struct, **_REQUEST):
    """One message to append. `content` is text or a list of typed parts ({"type": ...})."""

    role: Role
    content: str | list[JSONObj] = ""
    name: Name | None = None
    tool_calls: list[ToolCallIn] = msgspec.field(default_factory=list)
    tool_call_id: Name | None = None
    metadata: JSONObj = msgspec.field(default_factory=dict)
    token_count: Annotated[int, msgspec.Meta(ge=1)] | None = None
    pinned: bool = False
    embedding: list[float] | None = None


class AppendRequest(msgspec.Struct, **_REQUEST):
    """A batch appended all-or-nothing; `expected_version` guards against interleaving."""

    messages: list[MessageIn]
    expected_version: NonNegative | None = None


class WindowRequest(msgspec.Struct, **_REQUEST):
    """Window parameters (the policy's budget and reserve when left out).

    `query` (text) and/or `query_embedding` (a vector of the deployment's dimension) make
    the window query-aware: older entries relevant to them share the budget, up to
    `relevant_share` of it, each with `neighbours` entries either side (the policy's
    when left out). `at` asks for the window as of that version (0..head), with the
    compaction state of then.
    """

    budget: Budget | None = None
    reserve: NonNegative | None = None
    query: Query | None = None
    query_embedding: list[float] | None = None
    relevant_share: Share | None = None
    neighbours: Neighbours | None = None
    at: NonNegative | None = None
    include_summary: bool = True
    # Record the window as a receipt (null: as the policy's record_windows says).
    record: bool | None = None

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Engine.window."""
        return {
            "record": self.record,
            "budget": self.budget,
            "reserve": self.reserve,
            "query": self.query,
            "query_embedding": self.query_embedding,
            "relevant_share": self.relevant_share,
            "neighbours": self.neighbours,
            "at": self.at,
            "include_summary": self.include_summary,
        }


class ForkRequest(msgspec.Struct, **_REQUEST):
    """Fork at `version` (default: the head)."""

    version: NonNegative | None = None
    name: Name | None = None


class CompactRequest(msgspec.Struct, **_REQUEST):
    """Compact now; `force` compacts even below the policy's threshold."""

    force: bool = False


class SearchRequest(msgspec.Struct, **_REQUEST):
    """Similarity search within the tenant, or one of its contexts."""

    embedding: list[float]
    k: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    context_id: str | None = None
