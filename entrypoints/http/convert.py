"""Requests to domain values (with the deployment's limits) and domain values to responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import msgspec

from domain import history
from domain.compaction import RevertResult
from domain.errors import InvalidInput
from domain.model import (
    AppendResult,
    ContentPart,
    Context,
    ContextChanges,
    Entry,
    Erasure,
    Message,
    Policy,
    PurgeResult,
    ToolCall,
    VersionRange,
    check_json_text,
    storable_text,
)
from domain.receipts import Receipt, RecordedWindow
from domain.window import Window
from entrypoints.engine import CompactionResult
from entrypoints.http.requests import ContextCreate, ContextPatch, ForkRequest, MessageIn, PolicyIn
from entrypoints.http.responses import (
    AppendOut,
    CompactOut,
    ContextOut,
    EntryOut,
    ErasureOut,
    JSONObj,
    PolicyOut,
    PurgeOut,
    RangeOut,
    ReceiptOut,
    RecordedWindowOut,
    RevertOut,
    SentEntryOut,
    ToolCallOut,
    WindowEntryOut,
    WindowOut,
)
from entrypoints.settings import Settings

_encode = msgspec.json.Encoder().encode


def _depth(value: Any) -> int:
    if isinstance(value, Mapping):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_metadata(value: Mapping[str, Any], settings: Settings, *, what: str) -> None:
    """Metadata must be storable text, at most max_metadata_bytes and max_metadata_depth."""
    if not value and settings.max_metadata_bytes >= 2 and settings.max_metadata_depth >= 1:
        return  # {} (most messages' metadata): 2 bytes, 1 level, no text
    size = len(_encode(value))
    if size > settings.max_metadata_bytes:
        raise InvalidInput(
            f"{what} is {size} bytes as JSON; the limit is {settings.max_metadata_bytes}"
        )
    depth = _depth(value)
    if depth > settings.max_metadata_depth:
        raise InvalidInput(
            f"{what} nests {depth} levels deep; the limit is {settings.max_metadata_depth}"
        )
    check_json_text(value, what=what)


def policy_in(p: PolicyIn | None) -> Policy | None:
    """The policy a client asked for (defaults for what it left out)."""
    return None if p is None else Policy(**p.given())


def context_create(body: ContextCreate, settings: Settings) -> dict[str, Any]:
    """Keyword arguments for Engine.create_context."""
    storable_text(body.name, what="name")
    check_metadata(body.metadata, settings, what="metadata")
    return {"name": body.name, "metadata": body.metadata, "policy": policy_in(body.policy)}


def context_changes(body: ContextPatch, settings: Settings) -> ContextChanges:
    """The changes a PATCH asks for: the policy fields given change, the others stay."""
    if body.name is not None:
        storable_text(body.name, what="name")
    if body.metadata is not None:
        check_metadata(body.metadata, settings, what="metadata")
    return ContextChanges(
        name=body.name,
        metadata=body.metadata,
        policy_fields=body.policy.given() if body.policy is not None else {},
    )


def fork_in(body: ForkRequest) -> dict[str, Any]:
    """Keyword arguments for Engine.fork."""
    if body.name is not None:
        storable_text(body.name, what="name")
    return {"version": body.version, "name": body.name}


def _part_in(raw: dict[str, Any], settings: Settings) -> ContentPart:
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("every content part needs a string `type`")
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        raise InvalidInput("a content part's `text` must be a string")
    data = {k: v for k, v in raw.items() if k not in ("type", "text")}
    check_metadata(data, settings, what="content part")
    return ContentPart(type=kind, text=text, data=data)


def message_in(m: MessageIn, settings: Settings) -> Message:
    """A domain Message (its own rules reject NULs, lone surrogates, bad tool links)."""
    check_metadata(m.metadata, settings, what="metadata")
    content: str | tuple[ContentPart, ...] = (
        m.content if isinstance(m.content, str) else tuple(_part_in(p, settings) for p in m.content)
    )
    tool_calls: tuple[ToolCall, ...] = tuple(
        ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in m.tool_calls
    )
    return Message(
        role=m.role,
        content=content,
        name=m.name,
        tool_calls=tool_calls,
        tool_call_id=m.tool_call_id,
        metadata=m.metadata,
        token_count=m.token_count,
        pinned=m.pinned,
        embedding=tuple(m.embedding) if m.embedding is not None else None,
    )


def messages_in(messages: list[MessageIn], settings: Settings) -> list[Message]:
    """The batch as domain Messages (the engine holds it to the per-append limit)."""
    return [message_in(m, settings) for m in messages]


def entry_out(e: Entry, *, with_embedding: bool = False) -> EntryOut:
    """An entry on the wire (its embedding only when asked for: 1536 floats are heavy)."""
    return EntryOut(
        version=e.version,
        role=e.role,
        content=e.content if isinstance(e.content, str) else [part_out(p) for p in e.content],
        token_count=e.token_count,
        token_source=e.token_source,
        kind=e.kind,
        pinned=e.pinned,
        created_at=e.created_at,
        name=e.name,
        tool_calls=[ToolCallOut(id=c.id, name=c.name, arguments=c.arguments) for c in e.tool_calls]
        if e.tool_calls
        else [],
        tool_call_id=e.tool_call_id,
        # Entries are immutable and their metadata is already a plain dict: no copy needed
        # (a window serializes hundreds of entries per request).
        metadata=e.metadata if type(e.metadata) is dict else dict(e.metadata),
        covers=range_out(e.covers) if e.covers is not None else None,
        has_embedding=e.embedding is not None,
        embedding=list(e.embedding) if with_embedding and e.embedding is not None else None,
    )


def window_out(w: Window) -> WindowOut:
    """A window on the wire."""
    return WindowOut(
        entries=[
            WindowEntryOut(reason=reason, entry=entry_out(e), score=score, cleared=cleared)
            for e, reason, score, cleared in w.entries.rows()
        ],
        tokens=w.tokens,
        budget=w.budget,
        reserve=w.reserve,
        available=w.available,
        head_version=w.head_version,
        versions=range_out(w.versions),
        omitted_count=w.omitted_count,
        omitted=[RangeOut(first=r.first, last=r.last) for r in w.omitted],
        summary_covers=range_out(w.summary_covers),
        approximate=w.approximate,
        tokens_saved=w.tokens_saved,
        shared_prefix_tokens=w.shared_prefix_tokens,
        receipt_id=w.receipt_id,
    )


def receipt_out(r: Receipt) -> ReceiptOut:
    """A receipt on the wire."""
    a = r.asked
    return ReceiptOut(
        id=r.id,
        context_id=r.context_id,
        created_at=r.created_at,
        head_version=r.head_version,
        budget=a.budget,
        reserve=a.reserve,
        query_hash=a.query_hash,
        query_embedding_hash=a.query_embedding_hash,
        relevant_share=a.relevant_share,
        neighbours=a.neighbours,
        policy=policy_out(a.policy),
        tokens=r.tokens,
        entries=[
            SentEntryOut(version=e.version, reason=e.reason, score=e.score, tokens=e.tokens,
                         stub_source=e.stub_source)
            for e in r.entries
        ],
        omitted_count=r.omitted_count,
        omitted=[RangeOut(first=o.first, last=o.last) for o in r.omitted],
        summary_covers=range_out(r.summary_covers),
        approximate=r.approximate,
        tokens_saved=r.tokens_saved,
        shared_prefix_tokens=r.shared_prefix_tokens,
    )


def recorded_window_out(r: RecordedWindow) -> RecordedWindowOut:
    """A receipt and its window on the wire."""
    return RecordedWindowOut(receipt=receipt_out(r.receipt), window=window_out(r.window))


def compact_out(c: CompactionResult) -> CompactOut:
    """A compaction on the wire."""
    return CompactOut(
        append=append_out(c.append),
        summary_version=c.append.last_version,
        covers=range_out(c.summary.covers),
        summary_tokens=c.summary.token_count,
        metadata=_plain(c.summary.metadata),
    )


def purge_out(r: PurgeResult) -> PurgeOut:
    """A purge on the wire."""
    return PurgeOut(
        context_id=r.context_id,
        entries_removed=r.entries_removed,
        embeddings_removed=r.embeddings_removed,
        entries_kept_for_forks=r.entries_kept_for_forks,
        receipts_removed=r.receipts_removed,
    )


def revert_out(r: RevertResult) -> RevertOut:
    """A revert on the wire."""
    return RevertOut(
        append=append_out(r.append),
        reverted_version=r.reverted.version,
        restored_version=None if r.restores is None else r.restores.version,
        compacted_through=history.compacted_through(r.restores),
        tokens_before=r.tokens_before,
        tokens_after=r.tokens_after,
    )


def erasure_out(e: Erasure) -> ErasureOut:
    """An erasure record on the wire."""
    return ErasureOut(
        context_id=e.context_id,
        erased_at=e.erased_at,
        reason=str(e.reason),
        entries_removed=e.entries_removed,
        embeddings_removed=e.embeddings_removed,
        receipts_removed=e.receipts_removed,
        entries_kept_for_forks=e.entries_kept_for_forks,
    )


def _plain(value: Any) -> Any:
    # Summary metadata holds an attrs-dumped policy: already plain, but copy defensively.
    if attrs.has(type(value)):
        return attrs.asdict(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


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
    return ContextOut(
        id=c.id,
        name=c.name,
        metadata=dict(c.metadata),
        policy=policy_out(c.policy),
        parent_id=c.parent_id,
        fork_version=c.fork_version,
        head_version=c.head_version,
        entry_count=c.entry_count,
        token_total=c.token_total,
        compacted_through=c.compacted_through,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def policy_out(p: Policy) -> PolicyOut:
    """A policy on the wire (summary_tokens is the effective cap)."""
    return PolicyOut(
        budget=p.budget,
        reserve=p.reserve,
        threshold=p.threshold,
        keep_recent=p.keep_recent,
        encoding=p.encoding,
        enabled=p.enabled,
        summary_tokens=p.summary_limit,
        relevant_share=p.relevant_share,
        neighbours=p.neighbours,
        compaction_margin=p.compaction_margin,
        clear_tool_results=p.clear_tool_results,
        clear_keep=p.clear_keep,
        clear_trigger=p.clear_trigger,
        clear_exclude=list(p.clear_exclude),
        cache_stable=p.cache_stable,
        cache_block=p.cache_block,
        record_windows=p.record_windows,
        deleted_retention_days=p.deleted_retention_days,
        receipt_retention_days=p.receipt_retention_days,
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
