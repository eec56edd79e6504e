"""What the project's attrs classes share: one `__repr__`, written once.

attrs writes each class's methods as Python source and compiles it when the class is made,
on every import. The `__repr__`s were a third of that text: 51 M instructions of the
Vercel entry's cold start (1445 -> 1394 M, bench/cold_import.py counts them), for a
method only debugging reads. Every attrs class here is declared `repr=False` and derives
from Record, whose `__repr__` reads the class's fields and prints what attrs' own would:
`Name(field=value, ...)`, the fields declared with `repr=False` left out, a field's own
repr callable honoured. Unlike attrs' it has no guard against a record that holds
itself: none here does. tests/unit/test_records.py holds every class to it.
"""

from __future__ import annotations

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
