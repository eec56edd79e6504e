"""domain.records.Record: the one __repr__, __eq__ and __hash__ of the project's attrs classes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime

import attrs
from hypothesis import given
from hypothesis import strategies as st

from domain.model import Entry, Role, VersionRange
from domain.records import Record

PACKAGES = ("domain", "ports", "adapters", "entrypoints")


def _attrs_classes() -> list[type]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if attrs.has(cls) and cls.__module__ == module.__name__:
                    found.append(cls)
    return found


def test_every_attrs_class_of_the_project_prints_through_record() -> None:
    # A class declared without repr=False, or not derived from Record, gets attrs'
    # generated __repr__ back, and its cost at every import (domain/records.py).
    classes = _attrs_classes()
    assert len(classes) > 50, classes
    own = [c.__qualname__ for c in classes if c.__repr__ is not Record.__repr__]
    assert not own, own


def test_every_frozen_class_compares_through_record_and_no_mutable_one_by_value() -> None:
    # A frozen class declared without eq=False gets attrs' generated __eq__ and __hash__
    # back, and their cost at every import. A mutable one must not hash by its fields.
    classes = _attrs_classes()
    frozen = [c for c in classes if _is_frozen(c)]
    assert len(frozen) > 50, frozen
    own = [c.__qualname__ for c in frozen if (c.__eq__, c.__hash__) != _RECORD_EQUALITY]
    assert not own, own
    mutable = [c for c in classes if not _is_frozen(c)]
    assert mutable
    by_value = [c.__qualname__ for c in mutable if c.__hash__ is Record.__hash__]
    assert not by_value, by_value


_RECORD_EQUALITY = (Record.__eq__, Record.__hash__)


def _is_frozen(cls: type) -> bool:
    return cls.__setattr__ is not object.__setattr__


@attrs.frozen(kw_only=True)
class _Generated:
    number: int
    hidden: str = attrs.field(default="secret", repr=False)
    shown: str = attrs.field(default="x", repr=lambda v: f"<{v}>")
    inner: VersionRange | None = None
    items: tuple[object, ...] = ()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _Shared(Record):
    number: int
    hidden: str = attrs.field(default="secret", repr=False)
    shown: str = attrs.field(default="x", repr=lambda v: f"<{v}>")
    inner: VersionRange | None = None
    items: tuple[object, ...] = ()


def test_a_record_prints_as_attrs_would() -> None:
    inner, items = VersionRange(first=1, last=2), ("a", Role.USER)
    generated = repr(_Generated(number=3, inner=inner, items=items))
    shared = repr(_Shared(number=3, inner=inner, items=items))
    assert shared == generated.replace("_Generated", "_Shared")
    assert "secret" not in shared and "shown=<x>" in shared


def test_an_entry_prints_its_fields() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    text = repr(Entry(version=7, role=Role.USER, content="hi", token_count=1, created_at=now))
    assert text.startswith("Entry(version=7, role=<Role.USER: 'user'>, content='hi', ")


@attrs.frozen(kw_only=True)
class _Compared:
    number: int
    ignored: str = attrs.field(default="", eq=False)
    inner: VersionRange | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _SharedCompared(Record):
    number: int
    ignored: str = attrs.field(default="", eq=False)
    inner: VersionRange | None = None


@attrs.frozen(repr=False, eq=False)
class _One(Record):
    number: int


_FIELDS = st.tuples(
    st.integers(0, 3), st.sampled_from(["", "a"]), st.one_of(st.none(), st.integers(0, 2))
)


@given(st.lists(_FIELDS, min_size=2, max_size=2))
def test_records_are_equal_and_hash_alike_exactly_when_attrs_classes_are(
    values: list[tuple[int, str, int | None]],
) -> None:
    def made(cls: type, number: int, ignored: str, last: int | None) -> object:
        inner = None if last is None else VersionRange(first=0, last=last)
        return cls(number=number, ignored=ignored, inner=inner)

    (a, b) = [made(_Compared, *v) for v in values]
    (c, d) = [made(_SharedCompared, *v) for v in values]
    assert (c == d) is (a == b)
    assert (c != d) is (a != b)
    if a == b:
        assert hash(c) == hash(d)
    assert c != a and a != c  # another class is never equal, whatever its fields


def test_a_one_field_record_compares_its_field() -> None:
    assert _One(1) == _One(1) and _One(1) != _One(2)
    assert hash(_One(1)) == hash(_One(1))
    assert len({_One(1), _One(1), _One(2)}) == 2
