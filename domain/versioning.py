"""Versioning rules: gapless heads, optimistic concurrency, idempotency, time travel, forks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import attrs

from domain.errors import EmptyBatch, VersionConflict, VersionOutOfRange
from domain.model import EntryDraft, Message


def check_expected_version(expected: int | None, head: int) -> None:
    """An expected_version other than the head is a conflict carrying the head."""
    if expected is not None and expected != head:
        raise VersionConflict(expected=expected, current=head)


def versions_after(head: int, count: int) -> range:
    """The versions an append of `count` entries onto `head` receives: head+1..head+count."""
    check_batch_size(count)
    return range(head + 1, head + count + 1)


def check_batch_size(count: int) -> None:
    """An append carries at least one entry."""
    if count < 1:
        raise EmptyBatch()


def check_version(version: int, head: int) -> None:
    """Time travel and forks accept versions 0..head only."""
    if not 0 <= version <= head:
        raise VersionOutOfRange(version=version, head=head)


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value
    return value


def batch_fingerprint(drafts: Sequence[Message | EntryDraft]) -> str:
    """A stable digest of an append's payload: a reused idempotency key must match it.

    The engine digests what the client sent (messages), so a retry stays a retry even if
    the server would now count or embed it differently.
    """
    # Imported here: only an idempotent append needs json, and a cold start (the Vercel
    # entry) would pay ~5 M instructions for it otherwise; psycopg imports it anyway once
    # the pool opens.
    import json

    canonical = json.dumps([_plain(d) for d in drafts], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def key_fingerprint(
    idempotency_key: str | None, fingerprint: str | None, drafts: Sequence[EntryDraft]
) -> str | None:
    """The fingerprint an idempotency key is stored with: the caller's digest of what the
    client sent (the engine's), else one of the drafts; None without a key."""
    if idempotency_key is None:
        return None
    return fingerprint if fingerprint is not None else batch_fingerprint(drafts)


def fork_name(parent_name: str, version: int) -> str:
    """The default name of a fork: the parent's, with the version it starts from."""
    return f"{parent_name} (fork at {version})".strip()
