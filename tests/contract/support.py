"""Builders the contract tests share: contexts, drafts, exact float32 embeddings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.summaries import ExtractiveSummarizer
from adapters.system import UuidIds
from adapters.tokens import OfflineTokenCounter
from domain.model import Context, EntryDraft, EntryKind, Policy, Role, ToolCall, VersionRange
from entrypoints.engine import Engine, Store
from ports.clock import Clock

# The deployment's embedding dimension; values used below are exact in float32 (pgvector).
DIM = 1536


def new_id() -> str:
    """A fresh context id (uuid text: Postgres stores uuid columns)."""
    return str(uuid.uuid4())


def vec(*values: float) -> tuple[float, ...]:
    """An embedding: the given leading values, zero-padded to DIM."""
    return tuple(float(v) for v in values) + (0.0,) * (DIM - len(values))


def make_context(
    store: Store,
    tenant: str,
    clock: Clock,
    *,
    name: str = "ctx",
    policy: Policy | None = None,
    metadata: dict[str, Any] | None = None,
) -> Context:
    """Create a fresh context for the tenant."""
    now = clock.now()
    return store.create_context(
        Context(
            id=new_id(),
            tenant_id=tenant,
            name=name,
            metadata=metadata or {},
            policy=policy or Policy(),
            created_at=now,
            updated_at=now,
        )
    )


def draft(
    text: str = "hello",
    *,
    role: Role | str = Role.USER,
    tokens: int = 10,
    pinned: bool = False,
    embedding: Sequence[float] | None = None,
    tool_calls: Sequence[ToolCall] = (),
    tool_call_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> EntryDraft:
    """An entry draft with a client token count."""
    return EntryDraft(
        role=Role(role),
        content=text,
        token_count=tokens,
        pinned=pinned,
        embedding=tuple(embedding) if embedding is not None else None,
        tool_calls=tuple(tool_calls),
        tool_call_id=tool_call_id,
        metadata=metadata or {},
    )


def summary(first: int, last: int, *, text: str = "summary", tokens: int = 7) -> EntryDraft:
    """A compaction summary draft covering first..last."""
    return EntryDraft(
        role=Role.SYSTEM,
        content=text,
        token_count=tokens,
        kind=EntryKind.SUMMARY,
        covers=VersionRange(first=first, last=last),
        metadata={"compaction": {"covers": {"first": first, "last": last}}},
    )


def fill(
    store: Store, tenant: str, cid: str, drafts: Sequence[EntryDraft], now: datetime
) -> None:
    """Append drafts one batch."""
    store.append(tenant, cid, list(drafts), now=now)


# One counter for the suite: loading its ranks once keeps the examples fast.
TOKENS = OfflineTokenCounter()


def engine_over(store: Store, clock: Clock, **options: Any) -> Engine:
    """The engine the contract suite drives over `store`: offline tokens and summaries,
    uuids, the suite's dimension, and any further Engine options."""
    return Engine(store=store, tokens=TOKENS, summarizer=ExtractiveSummarizer(TOKENS),
                  clock=clock, ids=UuidIds(), dimension=DIM, **options)
