"""What the project's attrs classes share: one `__repr__`, `__eq__` and `__hash__`, written once.

attrs writes each class's methods as Python source and compiles it when the class is made,
on every import. The `__repr__`s were a third of that text, the `__eq__`s and `__hash__`s
of the frozen classes half of the rest: 51 M and then 37 M instructions of the Vercel
entry's cold start (1445 -> 1394 -> 1355 M, bench/cold_import.py counts them), for methods
that read the class's fields the same way whatever the class. Every attrs class here
derives from Record and is declared `repr=False`, every frozen one `eq=False` as well
(attrs then leaves equality to Record):

- `__repr__` prints what attrs' own would: `Name(field=value, ...)`, the fields declared
  with `repr=False` left out, a field's own repr callable honoured. Unlike attrs' it has
  no guard against a record that holds itself: none here does.
- `__eq__` and `__hash__` are attrs' for a frozen class: equal when of the same class with
  equal fields (those declared `eq=False` left out), the hash of those fields.

A mutable class (`attrs.define`) keeps attrs' equality, which makes it unhashable, or
declares identity (adapters.memory.log.ContextLog). tests/unit/test_records.py holds every
class to these rules.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any


class Record:
    """The base of the project's attrs classes (no state of its own: empty slots)."""

    __slots__ = ()

    def __repr__(self) -> str:
        fields: Any = getattr(type(self), "__attrs_attrs__", ())
        shown = ", ".join(
            f"{f.name}={(repr if f.repr is True else f.repr)(getattr(self, f.name, None))}"
            for f in fields
            if f.repr is not False
        )
        return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({shown})"

    def __eq__(self, other: object) -> bool:
        cls = self.__class__
        if other.__class__ is not cls:
            return NotImplemented
        values = _COMPARED.get(cls) or _compared(cls)
        return bool(values(self) == values(other))

    def __hash__(self) -> int:
        cls = self.__class__
        return hash((cls, (_COMPARED.get(cls) or _compared(cls))(self)))


# Each class's compared fields, read by one getter: their tuple, or the one field's value.
_COMPARED: dict[type, Callable[[Any], Any]] = {}


def _compared(cls: type) -> Callable[[Any], Any]:
    """The getter of `cls`'s compared fields, made on the class's first comparison."""
    names = [f.name for f in getattr(cls, "__attrs_attrs__", ()) if f.eq]
    values: Callable[[Any], Any] = attrgetter(*names) if names else lambda record: ()
    _COMPARED[cls] = values
    return values
