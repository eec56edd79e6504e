"""The API's JSON to the domain's values and back: what the client sends and decodes.

Decoding builds the same attrs values the engine returns (Context, Entry, Window...), so
code written against the in-process engine reads the client's answers unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from domain.compaction import CompactionResult, RevertResult
from domain.model import (
    AppendResult,
    ContentPart,
    Context,
    ContextChanges,
    Entry,
    EntryDraft,
    EntryKind,
    Erasure,
    ErasureReason,
    Message,
    Page,
    Policy,
    Role,
    SearchHit,
    TokenSource,
    ToolCall,
    VersionRange,
)
from domain.receipts import Receipt, RecordedWindow, SentEntry, WindowAsked
from domain.window import Reason, Window, WindowEntry

JSON = dict[str, Any]
T = TypeVar("T")


# -- requests -----------------------------------------------------------------------------


def part_json(part: ContentPart) -> JSON:
    """A content part as the API takes it: type, text, then its other fields."""
    out: JSON = {"type": part.type}
    if part.text is not None:
        out["text"] = part.text
    out.update(part.data)
    return out


def content_json(content: str | Sequence[ContentPart]) -> str | list[JSON]:
    """Content on the wire: the text, or its parts."""
    return content if isinstance(content, str) else [part_json(p) for p in content]


def message_json(m: Message) -> JSON:
    """A Message as an append's body holds it (defaults left out)."""
    out: JSON = {"role": m.role.value, "content": content_json(m.content)}
    if m.name is not None:
        out["name"] = m.name
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    if m.metadata:
        out["metadata"] = dict(m.metadata)
    if m.token_count is not None:
        out["token_count"] = m.token_count
    if m.pinned:
        out["pinned"] = True
    if m.embedding is not None:
        out["embedding"] = list(m.embedding)
    return out


def policy_fields(policy: Policy) -> JSON:
    """A whole policy as fields (summary_tokens only when chosen: None follows the budget)."""
    return {k: v for k, v in attrs.asdict(policy).items() if v is not None}


def changes_json(changes: ContextChanges) -> JSON:
    """A PATCH body: name, metadata, and the policy fields that change."""
    out: JSON = {}
    if changes.name is not None:
        out["name"] = changes.name
    if changes.metadata is not None:
        out["metadata"] = dict(changes.metadata)
    fields = {**(policy_fields(changes.policy) if changes.policy else {}), **changes.policy_fields}
    if fields:
        out["policy"] = fields
    return out


# -- responses ----------------------------------------------------------------------------


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _range(value: Mapping[str, Any] | None) -> VersionRange | None:
    return None if value is None else VersionRange(first=value["first"], last=value["last"])


def policy_from(d: Mapping[str, Any]) -> Policy:
    """A policy as the API reports it (summary_tokens is the effective cap)."""
    known = {f.name for f in attrs.fields(Policy)}
    return Policy(**{k: v for k, v in d.items() if k in known})


def context_from(d: Mapping[str, Any], tenant_id: str) -> Context:
    """A context; the API leaves the tenant implicit (the key's), so it is given here."""
    return Context(
        id=d["id"],
        tenant_id=tenant_id,
        name=d["name"],
        metadata=d.get("metadata") or {},
        policy=policy_from(d["policy"]),
        parent_id=d.get("parent_id"),
        fork_version=d.get("fork_version"),
        head_version=d["head_version"],
        token_total=d["token_total"],
        compacted_through=d.get("compacted_through", 0),
        created_at=_time(d["created_at"]),
        updated_at=_time(d["updated_at"]),
    )


def part_from(d: Mapping[str, Any]) -> ContentPart:
    """A content part: a string `text` is the part's text, the other fields its data."""
    text = d.get("text")
    if not isinstance(text, str):
        text = None
    data = {k: v for k, v in d.items() if k != "type" and not (k == "text" and text is not None)}
    return ContentPart(type=d["type"], text=text, data=data)


def entry_from(d: Mapping[str, Any]) -> Entry:
    """A stored entry."""
    content = d["content"]
    embedding = d.get("embedding")
    return Entry(
        version=d["version"],
        role=Role(d["role"]),
        content=content if isinstance(content, str) else tuple(part_from(p) for p in content),
        name=d.get("name"),
        tool_calls=tuple(
            ToolCall(id=c["id"], name=c["name"], arguments=c["arguments"])
            for c in d.get("tool_calls") or ()
        ),
        tool_call_id=d.get("tool_call_id"),
        metadata=d.get("metadata") or {},
        token_count=d["token_count"],
        token_source=TokenSource(d["token_source"]),
        pinned=d.get("pinned", False),
        embedding=tuple(embedding) if embedding is not None else None,
        kind=EntryKind(d.get("kind", "message")),
        covers=_range(d.get("covers")),
        created_at=_time(d["created_at"]),
    )


def page_from(d: Mapping[str, Any], item: Callable[[Any], T]) -> Page[T]:
    """A page of items with the next page's cursor."""
    return Page(items=tuple(item(x) for x in d["items"]), next_cursor=d.get("next_cursor"))


def erasure_from(d: Mapping[str, Any], tenant_id: str) -> Erasure:
    """An erasure record; the tenant is the key's."""
    return Erasure(
        tenant_id=tenant_id,
        context_id=d["context_id"],
        erased_at=_time(d["erased_at"]),
        reason=ErasureReason(d["reason"]),
        entries_removed=d["entries_removed"],
        embeddings_removed=d["embeddings_removed"],
        receipts_removed=d["receipts_removed"],
        entries_kept_for_forks=d["entries_kept_for_forks"],
    )


def revert_from(d: Mapping[str, Any], found: Mapping[int, Entry]) -> RevertResult:
    """A revert, with the reverted and restored summaries read back by version."""
    restored = d["restored_version"]
    return RevertResult(
        append=append_from(d["append"]),
        reverted=found[d["reverted_version"]],
        restores=None if restored is None else found[restored],
        tokens_before=d["tokens_before"],
        tokens_after=d["tokens_after"],
    )


def append_from(d: Mapping[str, Any]) -> AppendResult:
    """What an append wrote."""
    return AppendResult(
        context_id=d["context_id"],
        first_version=d["first_version"],
        last_version=d["last_version"],
        head_version=d["head_version"],
        token_count=d["token_count"],
        replayed=d.get("replayed", False),
    )


def window_from(d: Mapping[str, Any]) -> Window:
    """A window, its entries in the order to send them."""
    return Window(
        entries=tuple(
            WindowEntry(
                entry=entry_from(w["entry"]),
                reason=Reason(w["reason"]),
                score=w.get("score"),
                cleared=w.get("cleared", False),
            )
            for w in d["entries"]
        ),
        tokens=d["tokens"],
        budget=d["budget"],
        reserve=d["reserve"],
        head_version=d["head_version"],
        omitted_count=d["omitted_count"],
        omitted=tuple(VersionRange(first=r["first"], last=r["last"]) for r in d["omitted"]),
        summary_covers=_range(d.get("summary_covers")),
        approximate=d.get("approximate", False),
        tokens_saved=d.get("tokens_saved", 0),
        shared_prefix_tokens=d.get("shared_prefix_tokens"),
        receipt_id=d.get("receipt_id"),
    )


def receipt_from(d: Mapping[str, Any], tenant_id: str) -> Receipt:
    """A receipt; the tenant is the key's, as for contexts."""
    return Receipt(
        id=d["id"],
        tenant_id=tenant_id,
        context_id=d["context_id"],
        created_at=_time(d["created_at"]),
        head_version=d["head_version"],
        asked=WindowAsked(
            budget=d["budget"],
            reserve=d["reserve"],
            query_hash=d.get("query_hash"),
            query_embedding_hash=d.get("query_embedding_hash"),
            relevant_share=d.get("relevant_share"),
            neighbours=d.get("neighbours"),
            policy=policy_from(d["policy"]),
        ),
        entries=tuple(
            SentEntry(version=e["version"], reason=e["reason"], score=e.get("score"),
                      tokens=e["tokens"], stub_source=e.get("stub_source"))
            for e in d["entries"]
        ),
        tokens=d["tokens"],
        omitted_count=d["omitted_count"],
        omitted=tuple(VersionRange(first=r["first"], last=r["last"]) for r in d["omitted"]),
        summary_covers=_range(d.get("summary_covers")),
        approximate=d["approximate"],
        tokens_saved=d.get("tokens_saved", 0),
        shared_prefix_tokens=d.get("shared_prefix_tokens"),
    )


def recorded_window_from(d: Mapping[str, Any], tenant_id: str) -> RecordedWindow:
    """A receipt and the window it recorded."""
    return RecordedWindow(receipt=receipt_from(d["receipt"], tenant_id),
                          window=window_from(d["window"]))


def compaction_from(d: Mapping[str, Any], summary: Entry) -> CompactionResult:
    """A compaction: what it appended and the summary it wrote (read back as `summary`)."""
    return CompactionResult(
        append=append_from(d["append"]),
        summary=EntryDraft(
            role=summary.role,
            content=summary.content,
            metadata=summary.metadata,
            token_count=summary.token_count,
            token_source=summary.token_source,
            kind=summary.kind,
            covers=summary.covers,
        ),
    )


def hit_from(d: Mapping[str, Any]) -> SearchHit:
    """A search hit."""
    return SearchHit(context_id=d["context_id"], entry=entry_from(d["entry"]), score=d["score"])
