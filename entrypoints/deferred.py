"""Objects made on first use: what a cold start does not need until the app starts.

The Vercel entry builds its app at import; the PostgreSQL stores, their pool and psycopg
behind them (a third of that import) are needed only once the lifespan opens the pool.
`Deferred` stands in for such an object and makes it, once, on first use.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Later(Generic[T]):
    """A value made by `make` the first time it is asked for, then kept (thread-safe)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None
        self._lock = threading.Lock()

    @property
    def made(self) -> bool:
        """Whether the value has been made."""
        return self._make is None

    def get(self) -> T:
        """The value, made now if it was not yet."""
        if self._make is not None:
            with self._lock:
                if self._make is not None:
                    self._value = self._make()
                    self._make = None
        return self._value  # type: ignore[return-value]


class Deferred:
    """Stands in for the object `later` makes: any attribute asked of it is the made
    object's. Methods are kept on the stand-in once looked up, so after the first call
    each one is found as fast as on the object itself."""

    def __init__(self, later: Later[Any]) -> None:
        self._later = later

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the stand-in itself.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._later.get(), name)
        if callable(value):
            self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        state = repr(self._later.get()) if self._later.made else "not made yet"
        return f"<Deferred: {state}>"



def defer_import(name: str) -> None:
    """Make `import name` cheap until the module is used: a stand-in module takes its
    place in sys.modules and imports the real one the first time anyone reads an
    attribute it lacks (`yaml.dump`), then holds all of the real one's names. For what a
    dependency imports but this app never calls: Litestar imports PyYAML at import
    (~15 ms of a cold start) for its YAML schema plugin, which the app does not register,
    and pdb (~5 ms) for `pdb_on_exception`, a debugging switch the app leaves off.
    (importlib's LazyLoader would not do: on Python 3.11 the next `import name` anywhere
    reads the module's __spec__, which loads it.) A module already imported, or not
    installed, is left as it is."""
    import importlib
    import importlib.util
    import types

    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name)
    stand_in.__spec__ = spec
    lock = threading.Lock()

    def __getattr__(attr: str) -> Any:  # PEP 562: only names the stand-in lacks
        with lock:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
                real = importlib.import_module(name)
                stand_in.__dict__.update(real.__dict__)
        if attr not in stand_in.__dict__:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        return stand_in.__dict__[attr]

    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = stand_in


# What Litestar imports for features the app does not use (see defer_import).
UNUSED_BY_THE_APP = ("yaml", "pdb")


def defer_unused_imports() -> None:
    """defer_import each of UNUSED_BY_THE_APP: call it before Litestar is imported."""
    for name in UNUSED_BY_THE_APP:
        defer_import(name)
