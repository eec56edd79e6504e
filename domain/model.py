"""The model: contexts, entries (versions), policies, and the values rules return."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from domain.errors import InvalidInput
from domain.records import Record

JSONObject = Mapping[str, Any]

MAX_BUDGET = 2_000_000


class Role(enum.StrEnum):
    """Who said an entry."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class EntryKind(enum.StrEnum):
    """A message appended by a client, a summary written by compaction, or the marker of
    a compaction reverted (its `covers` names the summary version it reverted)."""

    MESSAGE = "message"
    SUMMARY = "summary"
    REVERT = "revert"


class TokenSource(enum.StrEnum):
    """Where an entry's token count came from; `estimated` means approximate."""

    CLIENT = "client"
    COUNTED = "counted"
    ESTIMATED = "estimated"


# A shallow copy as a plain dict, so a caller's later changes to its mapping never reach
# the model. Not a freeze: the `Mapping` annotation is what keeps code from writing to it
# (type checkers), and a plain dict is what msgspec and json encode as it is, with no
# conversion at each boundary (a window encodes hundreds of entries per request).
def _plain_dict(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


def storable_text(text: str, *, what: str) -> None:
    """Reject text no store can keep losslessly: NUL characters and lone surrogates."""
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character, which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains a lone surrogate (not valid Unicode)") from None


def check_json_text(value: Any, *, what: str) -> None:
    """Apply storable_text to every key and string inside a JSON value."""
    if isinstance(value, str):
        storable_text(value, what=what)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            storable_text(str(k), what=what)
            check_json_text(v, what=what)
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_json_text(v, what=what)


def _positive(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise InvalidInput(f"{attr.name} must be at least 1, got {value}")


def check_embedding(values: Iterable[float]) -> None:
    """An embedding (stored or asked with) holds finite numbers only: NaN and the
    infinities have no cosine, and PostgreSQL cannot store them. Both stores refuse one."""
    if not all(map(math.isfinite, values)):
        raise InvalidInput("an embedding holds a non-finite number")


def _finite(_inst: object, _attr: object, value: tuple[float, ...] | None) -> None:
    if value is not None:
        check_embedding(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ContentPart(Record):
    """One structured content part: `text`, or any other typed part kept as JSON."""

    type: str
    text: str | None = None
    data: JSONObject = attrs.field(factory=dict, converter=_plain_dict)


Content = str | tuple[ContentPart, ...]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ToolCall(Record):
    """A tool call made by an assistant entry; `arguments` is the JSON text."""

    id: str
    name: str
    arguments: str = "{}"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VersionRange(Record):
    """An inclusive range of versions, first..last."""

    first: int
    last: int

    @property
    def size(self) -> int:
        """How many versions the range holds."""
        return self.last - self.first + 1


def _tool_calls(value: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    # A function, not `tuple` itself: attrs inspects a converter's signature, and a builtin
    # type's costs ~2 ms at import (inspect parses its text signature with tokenize).
    return tuple(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Message(Record):
    """What a client sends to append: a message, before it gets a version."""

    role: Role = attrs.field(converter=Role)
    content: Content = ""
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = attrs.field(default=(), converter=_tool_calls)
    tool_call_id: str | None = None
    metadata: JSONObject = attrs.field(factory=dict, converter=_plain_dict)
    token_count: int | None = None
    pinned: bool = False
    embedding: tuple[float, ...] | None = None

    def __attrs_post_init__(self) -> None:
        if self.token_count is not None and self.token_count < 1:
            raise InvalidInput(f"token_count must be at least 1, got {self.token_count}")
        if self.tool_calls and self.role is not Role.ASSISTANT:
            raise InvalidInput("only assistant entries carry tool_calls")
        if self.role is Role.TOOL and not self.tool_call_id:
            raise InvalidInput("a tool entry needs the tool_call_id it answers")
        if self.role is not Role.TOOL and self.tool_call_id:
            raise InvalidInput("only tool entries carry a tool_call_id")
        if isinstance(self.content, str):
            storable_text(self.content, what="content")
        else:
            for part in self.content:
                storable_text(part.type, what="content part type")
                storable_text(part.text or "", what="content")
                check_json_text(part.data, what="content part data")
        storable_text(self.name or "", what="name")
        storable_text(self.tool_call_id or "", what="tool_call_id")
        for call in self.tool_calls:
            for field in (call.id, call.name, call.arguments):
                storable_text(field, what="tool call")
        check_json_text(self.metadata, what="metadata")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class EntryDraft(Record):
    """An entry ready to store: counted, not yet versioned."""

    role: Role
    content: Content
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    metadata: JSONObject = attrs.field(factory=dict, converter=_plain_dict)
    token_count: int = attrs.field(validator=_positive)
    token_source: TokenSource = TokenSource.COUNTED
    pinned: bool = False
    embedding: tuple[float, ...] | None = attrs.field(default=None, validator=_finite)
    kind: EntryKind = EntryKind.MESSAGE
    covers: VersionRange | None = None
    # Discourse (domain.discourse): the subjects in scope before it that the entry is
    # indexed with, and the scope after it (None for a summary, which changes none).
    context_terms: tuple[str, ...] = ()
    scope: tuple[str, ...] | None = None

    @property
    def is_pin(self) -> bool:
        """Pinned entries (system messages or marked pinned) are always in the window."""
        return self.kind is EntryKind.MESSAGE and (self.pinned or self.role is Role.SYSTEM)


# What a draft carries only for the store's indexes: the stored entry does not.
_INDEX_ONLY = frozenset({"context_terms", "scope"})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Entry(Record):
    """A stored, immutable version of a context."""

    version: int
    role: Role
    content: Content
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    metadata: JSONObject = attrs.field(factory=dict, converter=_plain_dict)
    token_count: int = attrs.field(validator=_positive)
    token_source: TokenSource = TokenSource.COUNTED
    pinned: bool = False
    # A sequence equal to the tuple of its floats (a store may decode it lazily).
    embedding: Sequence[float] | None = None
    kind: EntryKind = EntryKind.MESSAGE
    covers: VersionRange | None = None
    created_at: datetime

    @property
    def is_pin(self) -> bool:
        """Pinned entries (system messages or marked pinned) are always in the window."""
        return self.kind is EntryKind.MESSAGE and (self.pinned or self.role is Role.SYSTEM)

    @property
    def is_summary(self) -> bool:
        """True for a compaction summary."""
        return self.kind is EntryKind.SUMMARY

    @property
    def text(self) -> str:
        """The entry's plain text: its text parts joined, for search and summaries."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if p.text)


_STORED_FIELDS = tuple(f.name for f in attrs.fields(EntryDraft) if f.name not in _INDEX_ONLY)


# Entry's slots, set directly by stored_entry (in Entry's field order).
_ENTRY_ORDER = (
    "version", "role", "content", "name", "tool_calls", "tool_call_id", "metadata",
    "token_count", "token_source", "pinned", "embedding", "kind", "covers", "created_at",
)  # fmt: skip
(
    _set_version, _set_role, _set_content, _set_name, _set_tool_calls, _set_tool_call_id,
    _set_metadata, _set_token_count, _set_token_source, _set_pinned, _set_embedding,
    _set_kind, _set_covers, _set_created_at,
) = (vars(Entry)[name].__set__ for name in _ENTRY_ORDER)  # fmt: skip
_new = object.__new__


def stored_entry(  # noqa: PLR0917  (positional: a row unpacks in this order, kwargs cost)
    version: int,
    role: Role,
    content: Content,
    name: str | None,
    tool_calls: tuple[ToolCall, ...],
    tool_call_id: str | None,
    metadata: dict[str, Any],
    token_count: int,
    token_source: TokenSource,
    pinned: bool,
    embedding: Sequence[float] | None,
    kind: EntryKind,
    covers: VersionRange | None,
    created_at: datetime,
) -> Entry:
    """The Entry a store reads back, equal to Entry(...) of the same values, without
    rerunning the checks they passed when written (token_count >= 1; `metadata` must be
    a dict of the caller's own). A window reads hundreds per request: half the cost."""
    e: Entry = _new(Entry)
    _set_version(e, version)
    _set_role(e, role)
    _set_content(e, content)
    _set_name(e, name)
    _set_tool_calls(e, tool_calls)
    _set_tool_call_id(e, tool_call_id)
    _set_metadata(e, metadata)
    _set_token_count(e, token_count)
    _set_token_source(e, token_source)
    _set_pinned(e, pinned)
    _set_embedding(e, embedding)
    _set_kind(e, kind)
    _set_covers(e, covers)
    _set_created_at(e, created_at)
    return e


def entry_from_draft(draft: EntryDraft, *, version: int, created_at: datetime) -> Entry:
    """The stored entry a draft becomes at `version`."""
    return Entry(
        version=version,
        created_at=created_at,
        **{name: getattr(draft, name) for name in _STORED_FIELDS},
    )


MAX_NEIGHBOURS = 4
MAX_RETENTION_DAYS = 36_500


def check_relevance_knobs(relevant_share: float | None, neighbours: int | None) -> None:
    """A query window spends 0..1 of its budget on relevant entries, each brought with
    0..MAX_NEIGHBOURS entries either side (None: the policy's)."""
    if relevant_share is not None and not 0 <= relevant_share <= 1:
        raise InvalidInput("relevant_share must be in [0, 1]")
    if neighbours is not None and not 0 <= neighbours <= MAX_NEIGHBOURS:
        raise InvalidInput(f"neighbours must be within 0..{MAX_NEIGHBOURS}")


def _check_policy(inst: Policy, _attr: object, _value: object) -> None:
    if not 1 <= inst.budget <= MAX_BUDGET:
        raise InvalidInput(f"budget must be within 1..{MAX_BUDGET}, got {inst.budget}")
    if not 0 <= inst.reserve < inst.budget:
        raise InvalidInput("reserve must be at least 0 and below the budget")
    if not 0 < inst.threshold <= 1:
        raise InvalidInput("threshold must be in (0, 1]")
    if inst.keep_recent < 0:
        raise InvalidInput("keep_recent must be at least 0")
    if inst.summary_tokens is not None and not 1 <= inst.summary_tokens < inst.budget:
        raise InvalidInput("summary_tokens must be at least 1 and below the budget")
    check_relevance_knobs(inst.relevant_share, inst.neighbours)
    if not 0 <= inst.compaction_margin <= 1:
        raise InvalidInput("compaction_margin must be within 0..1")
    for days in (inst.deleted_retention_days, inst.receipt_retention_days):
        if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
            raise InvalidInput(f"retention days must be within 0..{MAX_RETENTION_DAYS}")
    if not inst.encoding:
        raise InvalidInput("encoding must be named")
    storable_text(inst.encoding, what="policy.encoding")
    check_window_rules(inst)


MAX_CLEAR_KEEP = 10_000
MAX_CLEAR_EXCLUDE = 64
MAX_TOOL_NAME = 256
MIN_CACHE_BLOCK = 0.05


def check_window_rules(p: Policy) -> None:
    """Tool-result clearing and cache-stable windows: their knobs within bounds."""
    if not 0 <= p.clear_keep <= MAX_CLEAR_KEEP:
        raise InvalidInput(f"clear_keep must be within 0..{MAX_CLEAR_KEEP}")
    if not 0 <= p.clear_trigger <= MAX_BUDGET:
        raise InvalidInput(f"clear_trigger must be within 0..{MAX_BUDGET}")
    if len(p.clear_exclude) > MAX_CLEAR_EXCLUDE:
        raise InvalidInput(f"clear_exclude names at most {MAX_CLEAR_EXCLUDE} tools")
    for name in p.clear_exclude:
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_TOOL_NAME:
            raise InvalidInput(f"clear_exclude holds tool names of 1..{MAX_TOOL_NAME} characters")
        storable_text(name, what="clear_exclude")
    if not MIN_CACHE_BLOCK <= p.cache_block <= 1:
        raise InvalidInput(f"cache_block must be within {MIN_CACHE_BLOCK}..1")


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput("clear_exclude must be a list of tool names")
    try:
        return tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidInput("clear_exclude must be a list of tool names") from None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Policy(Record):
    """A context's window and compaction policy."""

    budget: int = attrs.field(default=8000, validator=_check_policy)
    reserve: int = 0
    threshold: float = 0.8
    keep_recent: int = 10
    encoding: str = "cl100k_base"
    enabled: bool = False
    # None follows the budget (see summary_limit), so changing the budget alone never
    # leaves a summary cap that no longer fits it.
    summary_tokens: int | None = None
    relevant_share: float = 0.5
    neighbours: int = 0
    # Hysteresis (domain.compaction): automatic compaction summarizes down to the low
    # watermark max(threshold - margin, 0) x budget, and the next waits until the history
    # has grown by margin x budget since.
    compaction_margin: float = 0.2
    # Tool-result clearing (domain.tool_clearing): in the window, tool results older than
    # the newest `clear_keep` become a short stub once the candidates pass `clear_trigger`
    # tokens; tools named in `clear_exclude` are never cleared.
    clear_tool_results: bool = False
    clear_keep: int = 3
    clear_trigger: int = 0
    clear_exclude: tuple[str, ...] = attrs.field(default=(), converter=_names)
    # Cache-stable windows (domain.cache_window): the start moves in blocks of about
    # `cache_block` of the available tokens, so consecutive windows share their prefix.
    cache_stable: bool = False
    cache_block: float = 0.25

    def as_json(self) -> dict[str, Any]:
        """The policy as plain JSON values (lists, not tuples), as stores read it back."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in attrs.asdict(self, recurse=False).items()
        }
    # Receipts (domain.receipts): record every window of the context, unless a request
    # says otherwise. Retention (domain.retention): None follows the deployment's days.
    record_windows: bool = False
    deleted_retention_days: int | None = None
    receipt_retention_days: int | None = None

    @property
    def summary_limit(self) -> int:
        """The summary's token cap: as chosen, else a quarter of the budget, at most 512."""
        if self.summary_tokens is not None:
            return self.summary_tokens
        return max(1, min(512, self.budget // 4))


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Context(Record):
    """A versioned conversation history owned by one tenant."""

    id: str
    tenant_id: str
    name: str
    metadata: JSONObject = attrs.field(factory=dict, converter=_plain_dict)
    policy: Policy = Policy()
    parent_id: str | None = None
    fork_version: int | None = None
    head_version: int = 0
    token_total: int = 0
    compacted_through: int = 0
    # The subjects in scope after the head (domain.discourse), newest first.
    scope: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def entry_count(self) -> int:
        """Versions are gapless, so the head is the number of entries."""
        return self.head_version


_POLICY_FIELDS = frozenset(f.name for f in attrs.fields(Policy))


def _policy_field_names(_inst: object, _attr: object, value: JSONObject) -> None:
    unknown = sorted(set(value) - _POLICY_FIELDS)
    if unknown:
        raise InvalidInput(f"not policy fields: {', '.join(unknown)}")
    # Stores may merge these fields without building a Policy: their text is checked here.
    check_json_text(value, what="policy")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ContextChanges(Record):
    """A partial update of a context: None leaves a field as it is.

    `policy` replaces the whole policy; `policy_fields` changes only the policy fields it
    names (after `policy`, when both are given). Stores apply them atomically, so two
    updates of different fields never lose one another.
    """

    name: str | None = None
    metadata: JSONObject | None = None
    policy: Policy | None = None
    policy_fields: JSONObject = attrs.field(
        factory=dict, converter=_plain_dict, validator=_policy_field_names
    )

    def merged_policy(self, current: Policy) -> Policy:
        """The policy these changes leave; InvalidInput when it breaks a Policy rule."""
        policy = self.policy or current
        return attrs.evolve(policy, **self.policy_fields) if self.policy_fields else policy

    def applied_to(self, context: Context, *, now: datetime) -> Context:
        """`context` as these changes leave it, updated at `now`."""
        return attrs.evolve(
            context,
            name=context.name if self.name is None else self.name,
            metadata=context.metadata if self.metadata is None else self.metadata,
            policy=self.merged_policy(context.policy),
            updated_at=now,
        )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AppendResult(Record):
    """What an append wrote: versions first..last, and the new head."""

    context_id: str
    first_version: int
    last_version: int
    head_version: int
    token_count: int
    replayed: bool = False


T = TypeVar("T")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Page(Record, Generic[T]):
    """One page of a listing, with the cursor of the next page (None at the end)."""

    items: tuple[T, ...]
    next_cursor: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SearchHit(Record):
    """An entry found by similarity, with its cosine similarity."""

    context_id: str
    entry: Entry
    score: float


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PurgeResult(Record):
    """What a purge removed for good: entries and embeddings (of the context, and of
    purged ancestors it alone still shared), and how many of its entries stay because
    forks share them (the context itself is gone either way)."""

    context_id: str
    entries_removed: int
    embeddings_removed: int
    entries_kept_for_forks: int
    receipts_removed: int = 0


def erasure_of(
    result: PurgeResult, *, tenant_id: str, at: datetime, reason: ErasureReason
) -> Erasure:
    """The audit record of a purge that answered `result`."""
    return Erasure(
        tenant_id=tenant_id,
        context_id=result.context_id,
        erased_at=at,
        reason=reason,
        entries_removed=result.entries_removed,
        embeddings_removed=result.embeddings_removed,
        receipts_removed=result.receipts_removed,
        entries_kept_for_forks=result.entries_kept_for_forks,
    )


class ErasureReason(enum.StrEnum):
    """Why a context was purged: asked for, or past its retention."""

    REQUEST = "request"
    RETENTION = "retention"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Erasure(Record):
    """The audit record of a purge: which context, when, why and how much went. It keeps
    no content (no name, metadata or text), so it outlives what it records."""

    tenant_id: str
    context_id: str
    erased_at: datetime
    reason: ErasureReason
    entries_removed: int
    embeddings_removed: int
    receipts_removed: int
    entries_kept_for_forks: int
