"""The append statement's two ends: a batch as its parameters, its rows as an outcome.

A batch travels as JSON parameters (rows with their running sums and scopes; the lexical
postings of its eligible entries, by term) plus its embeddings; the statement
(queries.append_statement) answers with tagged rows ('appended', 'replay', 'state') that
say what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from adapters.postgres.rows import (
    content_json,
    draft_vector_param,
    policy_from_json,
    to_json,
    tool_calls_json,
)
from domain import compaction, discourse, history, lexical
from domain.errors import ContextNotFound, IdempotencyKeyReused, InvalidInput, VersionConflict
from domain.model import AppendResult, EntryDraft, EntryKind
from domain.tokens import message_text
from ports.version_log import BasisChanged, DraftBasis

_encode_rows = msgspec.json.Encoder().encode


def params(drafts: Sequence[EntryDraft]) -> dict[str, Any]:
    """The batch's rows as JSON, its embeddings, totals, and where its newest summary sits."""
    rows, running = [], 0
    # The lexical corpus's running count and term total of the batch's eligible entries.
    counted = terms_total = 0
    scope: list[str] | None = None  # the context's scope after the batch (None: unchanged)
    summary_at = summary_through = restore_version = None
    restore = False
    # Per term: the eligible entries holding it (batch ordinals), their tf and dl.
    postings: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for i, d in enumerate(drafts, start=1):
        text = message_text(d)
        if "\x00" in text:
            # No PostgreSQL text holds it (the json columns would keep it escaped): refused
            # as the domain refuses it, so both stores accept the same inputs.
            raise InvalidInput("not storable in PostgreSQL: a NUL character in the text")
        words = discourse.indexed_terms(text, d.context_terms)
        if d.scope is not None:
            scope = list(d.scope)
        rows.append(
            {
                "ord": i,
                "kind": d.kind.value,
                "role": d.role.value,
                "content": content_json(d.content),
                "name": d.name,
                "tool_calls": tool_calls_json(d),
                "tool_call_id": d.tool_call_id,
                "metadata": to_json(dict(d.metadata)),
                "token_count": d.token_count,
                "token_source": d.token_source.value,
                "pinned": d.pinned,
                "is_pin": d.is_pin,
                "ebefore": running,
                "covers_first": d.covers.first if d.covers else None,
                "covers_last": d.covers.last if d.covers else None,
                "term_count": len(words),
                "cbefore": counted,
                "tbefore": terms_total,
                "scope": None if d.scope is None else list(d.scope),
            }
        )
        if history.is_eligible(d):
            running += d.token_count
            counted += 1
            terms_total += len(words)
            for term, tf in lexical.postings(words).items():
                ords, tfs, dls = postings.setdefault(term, ([], [], []))
                ords.append(i)
                tfs.append(tf)
                dls.append(len(words))
        if d.kind is EntryKind.SUMMARY:
            summary_at, restore = i, False
            summary_through = d.covers.last if d.covers is not None else 0
        elif d.kind is EntryKind.REVERT:
            summary_at, restore = None, True
            restore_version, summary_through = compaction.restored_state(d)
    posted = [
        {"term": term, "ords": ords, "tfs": tfs, "dls": dls}
        for term, (ords, tfs, dls) in postings.items()
    ]
    try:
        encoded = _encode_rows(rows).decode()
        encoded_postings = _encode_rows(posted).decode()
    except UnicodeEncodeError:
        raise InvalidInput("not storable in PostgreSQL: a lone surrogate in the text") from None
    embedded = any(d.embedding is not None for d in drafts)
    return {
        "n": len(drafts),
        "tokens": sum(d.token_count for d in drafts),
        "eligible": running,
        "eligible_count": counted,
        "eligible_terms": terms_total,
        "summary_at": summary_at,
        "summary_through": summary_through,
        "restore": restore,
        "restore_version": restore_version,
        "scope": scope,
        "rows": encoded,
        "postings": encoded_postings,
        "embeddings": [
            None if d.embedding is None else draft_vector_param(d.embedding) for d in drafts
        ]
        if embedded
        else None,
    }


def _result(context_id: str, row: Mapping[str, Any], *, replayed: bool) -> AppendResult:
    return AppendResult(
        context_id=context_id,
        first_version=row["first_version"],
        last_version=row["last_version"],
        head_version=row["head_version"],
        token_count=int(row["token_count"]),
        replayed=replayed,
    )


def outcome(
    rows: Sequence[Mapping[str, Any]],
    context_id: str,
    *,
    expected: int | None,
    key: str | None,
    fingerprint: str | None,
) -> AppendResult | None:
    """What the append statement's rows say: the result, an error, or None to try again."""
    by = {r["outcome"]: r for r in rows}
    if "appended" in by:
        return _result(context_id, by["appended"], replayed=False)
    if "state" not in by:
        raise ContextNotFound(context_id)
    if "replay" in by:
        if by["replay"]["fingerprint"] != fingerprint:
            raise IdempotencyKeyReused(key or "")
        return _result(context_id, by["replay"], replayed=True)
    state = by["state"]
    if not state["basis_ok"]:
        policy = policy_from_json(state["policy"])
        raise BasisChanged(DraftBasis(policy=policy, scope=tuple(state["scope"])))
    head = state["head_version"]
    if expected is not None and expected != head:
        raise VersionConflict(expected=expected, current=head)
    # The head moved between the snapshot and the row lock: try again.
    return None
