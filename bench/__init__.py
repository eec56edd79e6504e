"""Benchmarks: `make bench` runs every module here and prints JSON lines."""

from __future__ import annotations

import pkgutil


def modules() -> list[str]:
    """The bench modules: every module here whose name has no leading underscore."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
