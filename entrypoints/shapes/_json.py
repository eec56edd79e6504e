"""What every shape shares: paths in errors, JSON checks, and the residue of an item."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from domain.errors import InvalidInput
from domain.model import ContentPart, Entry, Message
from domain.window import Window

RESIDUE = "kata_shape"
_MISSING = object()
T = TypeVar("T")
Item = dict[str, Any]


def bad(path: str, what: str) -> InvalidInput:
    """InvalidInput about the field at `path`."""
    return InvalidInput(f"{path}: {what}")


def obj(value: Any, path: str) -> Mapping[str, Any]:
    """`value` as a JSON object, or InvalidInput."""
    if not isinstance(value, Mapping):
        raise bad(path, f"expected an object, got {type(value).__name__}")
    return value


def text(value: Any, path: str) -> str:
    """`value` as a string, or InvalidInput."""
    if not isinstance(value, str):
        raise bad(path, f"expected a string, got {type(value).__name__}")
    return value


def array(value: Any, path: str) -> list[Any]:
    """`value` as a JSON array, or InvalidInput."""
    if not isinstance(value, list):
        raise bad(path, f"expected an array, got {type(value).__name__}")
    return value


def check_json(value: Any, path: str) -> None:
    """Only what JSON holds (objects with string keys, arrays, strings, finite numbers,
    booleans, null) can be stored and given back unchanged."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad(path, "numbers must be finite")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            check_json(v, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise bad(path, f"object keys must be strings, got {k!r}")
            check_json(v, f"{path}.{k}")
        return
    raise bad(path, f"{type(value).__name__} is not a JSON value")


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 and 1 from 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def difference(original: Mapping[str, Any], written: Mapping[str, Any]) -> Item:
    """What turns `written` (Kata's rendering) back into `original`: keys to set, to drop."""
    out: Item = {}
    changed = {
        k: v for k, v in original.items() if not same(written.get(k, _MISSING), v)
    }
    if changed:
        out["set"] = changed
    dropped = [k for k in written if k not in original]
    if dropped:
        out["drop"] = dropped
    return out


def patched(written: Mapping[str, Any], diff: Mapping[str, Any] | None) -> Item:
    """`written` with a difference applied."""
    out = dict(written)
    if diff:
        for k in diff.get("drop", ()):
            out.pop(k, None)
        out.update(diff.get("set", {}))
    return out


def part_in(raw: Any, path: str) -> ContentPart:
    """A typed content part: a string `text` is its text, every other field its data."""
    d = obj(raw, path)
    kind = text(d.get("type"), f"{path}.type")
    check_json(dict(d), path)
    body = d.get("text")
    keep_text = isinstance(body, str)
    data = {k: v for k, v in d.items() if k != "type" and not (k == "text" and keep_text)}
    return ContentPart(type=kind, text=body if keep_text else None, data=data)


def part_out(part: ContentPart) -> Item:
    """A content part as a dict again."""
    out: Item = {"type": part.type}
    if part.text is not None:
        out["text"] = part.text
    out.update(part.data)
    return out


def residue_of(m: Message | Entry, shape: str) -> Mapping[str, Any]:
    """The residue an entry carries for `shape` (empty when it came from elsewhere)."""
    found = m.metadata.get(RESIDUE)
    if isinstance(found, Mapping) and found.get("shape") == shape:
        return found
    return {}


def residue(shape: str, **fields: Any) -> dict[str, Any]:
    """Metadata holding a residue (none when every field is empty)."""
    kept = {k: v for k, v in fields.items() if v}
    return {RESIDUE: {"shape": shape, **kept}} if kept else {}


def message(path: str, **fields: Any) -> Message:
    """A Message, its own rule breaches reported at `path`."""
    try:
        return Message(**fields)
    except InvalidInput as e:
        raise bad(path, str(e)) from None


def items_in(value: Any, path: str) -> list[Any]:
    """The list of items or messages a converter was given."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise bad(path, "expected a list")
    return list(value)


def entries_of(source: Window | Iterable[Message | Entry]) -> list[Message | Entry]:
    """Entries to convert back: a Window's (in order), or the messages or entries given."""
    if isinstance(source, Window):
        return [w.entry for w in source.entries]
    return list(source)


def each(values: list[Any], path: str, convert: Callable[[Any, str], T]) -> list[T]:
    """`convert` applied to every value, each with its own path."""
    return [convert(v, f"{path}[{i}]") for i, v in enumerate(values)]
