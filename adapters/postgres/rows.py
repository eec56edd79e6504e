"""Rows <-> domain models: the adapter's own cattrs converter, so the domain never learns
column names. JSON columns are `json` (stored verbatim) and written as JSON text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import cattrs
import msgspec

from adapters.postgres.vectors import VectorParam, VectorReads
from domain.errors import InvalidInput
from domain.keys import ApiKey
from domain.model import (
    Content,
    ContentPart,
    Context,
    Entry,
    EntryDraft,
    EntryKind,
    Policy,
    Role,
    TokenSource,
    ToolCall,
    VersionRange,
    check_embedding,
    stored_entry,
)

# The columns an entry is read with, in the order the queries select them and
# entry_from_row unpacks them, with the type each is read as. The JSON columns come as
# text and are parsed here: psycopg's per-value JSON loader cost more than the parsing (a
# 160-entry window fetched in 0.25 ms of CPU with them, 0.16 without).
_ENTRY_READ_AS = (
    ("version", "integer"),
    ("kind", "text"),
    ("role", "text"),
    ("content", "json"),
    ("name", "text"),
    ("tool_calls", "json"),
    ("tool_call_id", "text"),
    ("metadata", "json"),
    ("token_count", "integer"),
    ("token_source", "text"),
    ("pinned", "boolean"),
    # Whether it has a vector, and the segment holding its row: the vector itself is read
    # when looked at (adapters/postgres/vectors.VectorReads).
    ("has_embedding", "boolean"),
    ("src", "text"),
    ("covers_first", "integer"),
    ("covers_last", "integer"),
    ("created_at", "timestamptz"),
)
ENTRY_WIDTH = len(_ENTRY_READ_AS)


# Columns read as an expression of the row's own.
_ENTRY_EXPRESSIONS = {"has_embedding": "{at}embedding IS NOT NULL", "src": "{at}context_id"}


def entry_columns(table: str = "") -> str:
    """The select list of an entry's columns (of `table`, when named)."""
    at = f"{table}." if table else ""

    def column(name: str, kind: str) -> str:
        if name in _ENTRY_EXPRESSIONS:
            return f"{_ENTRY_EXPRESSIONS[name].format(at=at)} AS {name}"
        return f"{at}{name}::text AS {name}" if kind == "json" else f"{at}{name}"

    return ", ".join(column(name, kind) for name, kind in _ENTRY_READ_AS)


ENTRY_COLUMNS = entry_columns()
# The entry's columns in a row that holds no entry (WINDOW's state row): typed, so the
# statement's other rows keep their types, and named like the entry's.
NO_ENTRY = ", ".join(
    f"NULL::{'text' if kind == 'json' else kind} AS {name}" for name, kind in _ENTRY_READ_AS
)


def after_entry(*names: str) -> Mapping[str, int]:
    """Where, by name, the columns a statement selects after an entry's sit in its rows."""
    return {name: ENTRY_WIDTH + i for i, name in enumerate(names)}


CONTEXT_COLUMNS = (
    "id, tenant_id, name, metadata, policy, parent_id, fork_version, head_version, "
    "token_total, compacted_through, scope, created_at, updated_at, deleted_at"
)
KEY_COLUMNS = "id, tenant_id, key_hash, prefix, label, created_at, revoked_at"


def _utc(value: datetime, _type: object = None) -> datetime:
    # The session's TimeZone decides what psycopg returns; the domain speaks UTC.
    return value.astimezone(UTC)


def _content(value: Any, _type: object) -> Content:
    if isinstance(value, str):
        return value
    return tuple(
        ContentPart(type=p["type"], text=p.get("text"), data=p.get("data") or {}) for p in value
    )


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=False)
    conv.register_structure_hook(datetime, _utc)
    return conv


_rows = _make_converter()


_parse = msgspec.json.decode
# Plain dict lookups: calling an Enum by value costs more than the rest of a row's fields.
_KINDS = {k.value: k for k in EntryKind}
_ROLES = {r.value: r for r in Role}
_SOURCES = {s.value: s for s in TokenSource}


def entry_from_row(row: Sequence[Any], vectors: VectorReads) -> Entry:
    """An Entry from a row whose first columns are ENTRY_COLUMNS (later ones are ignored),
    its vector (if it has one) to be read through `vectors` when looked at.

    Windows decode a row per entry on every request, so this hook builds the Entry
    directly instead of going through a generated structure function.
    """
    (
        version,
        kind,
        role,
        content,
        name,
        calls,
        call_id,
        metadata,
        tokens,
        source,
        pinned,
        has_embedding,
        src,
        covers_first,
        covers_last,
        created_at,
    ) = row[:ENTRY_WIDTH]
    content = _parse(content)
    # Positional, in Entry's field order (stored_entry): the row passed Entry's checks
    # when it was written, and the table holds them (token_count >= 1).
    return stored_entry(
        version,
        _ROLES[role],
        content if isinstance(content, str) else _content(content, Content),
        name,
        tuple(ToolCall(**c) for c in _parse(calls)) if calls else (),
        call_id,
        {} if metadata == "{}" else _parse(metadata) or {},
        tokens,
        _SOURCES[source],
        pinned,
        vectors.later(src, version) if has_embedding else None,
        _KINDS[kind],
        None if covers_first is None else VersionRange(first=covers_first, last=covers_last),
        created_at if created_at.tzinfo is UTC else created_at.astimezone(UTC),
    )


def context_from_row(row: Mapping[str, Any]) -> Context:
    """A Context from a row selected with CONTEXT_COLUMNS."""
    return _rows.structure(dict(row), Context)


def key_from_row(row: Mapping[str, Any]) -> ApiKey:
    """An ApiKey from a row selected with KEY_COLUMNS."""
    return _rows.structure(dict(row), ApiKey)


def policy_from_json(value: Mapping[str, Any]) -> Policy:
    """A policy as stored (a json column, already parsed)."""
    return _rows.structure(dict(value), Policy)


def policy_json(policy: Policy) -> str:
    """A policy as stored."""
    return to_json(_rows.unstructure(policy))


def to_json(value: Any) -> str:
    """JSON text for a json column; values JSON cannot hold are the caller's InvalidInput."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"not storable as JSON: {err}") from None


def content_json(content: Content) -> str:
    """An entry's content as stored: a JSON string, or a list of typed parts."""
    if isinstance(content, str):
        return to_json(content)
    return to_json([{"type": p.type, "text": p.text, "data": dict(p.data)} for p in content])


def tool_calls_json(draft: EntryDraft) -> str | None:
    """Tool calls as stored (NULL when there are none)."""
    if not draft.tool_calls:
        return None
    calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in draft.tool_calls]
    return to_json(calls)


def int_array(values: Iterable[int]) -> str:
    """Integers as one `integer[]` literal, for a parameter cast `::integer[]`: psycopg
    dumps a list element by element in Python (0.27 ms of client CPU for the 242 versions
    a query window reads at 100k entries), the literal in 0.13."""
    return "{" + ",".join(map(str, map(int, values))) + "}"


def vector_param(vector: Sequence[float]) -> VectorParam:
    """A query's embedding as a parameter; non-finite numbers are refused."""
    check_embedding(vector)
    return draft_vector_param(vector)


def draft_vector_param(vector: Sequence[float]) -> VectorParam:
    """A draft's embedding as a parameter: checked when the draft was made (EntryDraft)."""
    return VectorParam([float(x) for x in vector])
