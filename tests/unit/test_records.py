"""domain.records.Record: the one __repr__ of the project's attrs classes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime

import attrs

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


@attrs.frozen(kw_only=True)
class _Generated:
    number: int
    hidden: str = attrs.field(default="secret", repr=False)
    shown: str = attrs.field(default="x", repr=lambda v: f"<{v}>")
    inner: VersionRange | None = None
    items: tuple[object, ...] = ()


@attrs.frozen(kw_only=True, repr=False)
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
