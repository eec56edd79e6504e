"""The wire format: msgspec structs for requests and responses, and their domain twins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from domain.model import (
    MAX_BUDGET,
    AppendResult,
    ContentPart,
    Context,
    EntryKind,
    Role,
    TokenSource,
    VersionRange,
)
from domain.window import Reason
from entrypoints.engine import MAX_QUERY_CHARS

# Request structs reject unknown fields: a typo ("expected_verison") must not pass silently.
_REQUEST = {"kw_only": True, "forbid_unknown_fields": True}

JSONObj = dict[str, Any]
Budget = Annotated[int, msgspec.Meta(ge=1, le=MAX_BUDGET)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Name = Annotated[str, msgspec.Meta(max_length=256)]
Query = Annotated[str, msgspec.Meta(max_length=MAX_QUERY_CHARS)]


# -- requests ---------------------------------------------------------------------------


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
    the window query-aware: older entries relevant to them share the budget.
    """

    budget: Budget | None = None
    reserve: NonNegative | None = None
    query: Query | None = None
    query_embedding: list[float] | None = None

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Engine.window."""
        return {
            "budget": self.budget,
            "reserve": self.reserve,
            "query": self.query,
            "query_embedding": self.query_embedding,
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


# -- responses --------------------------------------------------------------------------


class PolicyOut(msgspec.Struct, kw_only=True):
    """A context's window and compaction policy."""

    budget: int
    reserve: int
    threshold: float
    keep_recent: int
    encoding: str
    enabled: bool
    summary_tokens: int
    relevant_share: float
    neighbours: int


class ContextOut(msgspec.Struct, kw_only=True):
    """A context with its head and totals."""

    id: str
    name: str
    metadata: JSONObj
    policy: PolicyOut
    parent_id: str | None
    fork_version: int | None
    head_version: int
    entry_count: int
    token_total: int
    compacted_through: int
    created_at: datetime
    updated_at: datetime


class ContextPage(msgspec.Struct, kw_only=True):
    """One page of contexts; pass next_cursor as `cursor` for the next (null at the end)."""

    items: list[ContextOut]
    next_cursor: str | None


class ContextList(msgspec.Struct, kw_only=True):
    """A list of contexts (the forks of one)."""

    items: list[ContextOut]


class RangeOut(msgspec.Struct, kw_only=True):
    """An inclusive version range."""

    first: int
    last: int


class ToolCallOut(msgspec.Struct, kw_only=True):
    """A tool call made by an assistant entry."""

    id: str
    name: str
    arguments: str


class EntryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A stored version of a context (optional fields are left out when null)."""

    version: int
    role: Role
    content: str | list[JSONObj]
    token_count: int
    token_source: TokenSource
    kind: EntryKind
    pinned: bool
    created_at: datetime
    metadata: JSONObj
    tool_calls: list[ToolCallOut]
    has_embedding: bool
    name: str | None = None
    tool_call_id: str | None = None
    covers: RangeOut | None = None
    embedding: list[float] | None = None


class EntryPage(msgspec.Struct, kw_only=True):
    """One page of entries; pass next_cursor as `after` for the next (null at the end)."""

    items: list[EntryOut]
    next_cursor: str | None


class VersionState(msgspec.Struct, kw_only=True):
    """The state at a version: the entry that version added and a page of entries 1..n."""

    version: int
    entry: EntryOut | None
    entries: list[EntryOut]
    next_cursor: str | None


class AppendOut(msgspec.Struct, kw_only=True):
    """What an append wrote: versions first..last, and the new head."""

    context_id: str
    first_version: int
    last_version: int
    head_version: int
    token_count: int
    replayed: bool


class WindowEntryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of a window and why it is there."""

    reason: Reason
    entry: EntryOut
    score: float | None = None


class WindowOut(msgspec.Struct, kw_only=True):
    """The chosen window, in order, with its accounting."""

    entries: list[WindowEntryOut]
    tokens: int
    budget: int
    reserve: int
    available: int
    head_version: int
    versions: RangeOut | None
    omitted_count: int
    omitted: list[RangeOut]
    summary_covers: RangeOut | None
    approximate: bool


class CompactOut(msgspec.Struct, kw_only=True):
    """A compaction that happened: the summary's version and what it covers."""

    append: AppendOut
    summary_version: int
    covers: RangeOut | None
    summary_tokens: int
    metadata: JSONObj


class SearchHitOut(msgspec.Struct, kw_only=True):
    """An entry found by similarity, with its cosine similarity."""

    context_id: str
    score: float
    entry: EntryOut


class SearchOut(msgspec.Struct, kw_only=True):
    """Search hits, best first."""

    items: list[SearchHitOut]


class HealthOut(msgspec.Struct, kw_only=True):
    """Liveness."""

    status: str
    version: str


class TenantOut(msgspec.Struct, kw_only=True):
    """Who the presented API key belongs to."""

    tenant_id: str


# -- conversions that need no limits (see convert.py for those that do) -----------------


def range_out(r: VersionRange | None) -> RangeOut | None:
    """A version range on the wire."""
    return None if r is None else RangeOut(first=r.first, last=r.last)


def part_out(part: ContentPart) -> JSONObj:
    """A content part as the client sent it: type, text, and its other fields."""
    out: JSONObj = {"type": part.type}
    if part.text is not None:
        out["text"] = part.text
    out.update(part.data)
    return out


def context_out(c: Context) -> ContextOut:
    """A context on the wire."""
    p = c.policy
    return ContextOut(
        id=c.id,
        name=c.name,
        metadata=dict(c.metadata),
        policy=PolicyOut(
            budget=p.budget,
            reserve=p.reserve,
            threshold=p.threshold,
            keep_recent=p.keep_recent,
            encoding=p.encoding,
            enabled=p.enabled,
            summary_tokens=p.summary_limit,
            relevant_share=p.relevant_share,
            neighbours=p.neighbours,
        ),
        parent_id=c.parent_id,
        fork_version=c.fork_version,
        head_version=c.head_version,
        entry_count=c.entry_count,
        token_total=c.token_total,
        compacted_through=c.compacted_through,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def append_out(r: AppendResult) -> AppendOut:
    """An append result on the wire."""
    return AppendOut(
        context_id=r.context_id,
        first_version=r.first_version,
        last_version=r.last_version,
        head_version=r.head_version,
        token_count=r.token_count,
        replayed=r.replayed,
    )
