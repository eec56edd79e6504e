"""The in-process engine: Kata Context's use cases, one module each, behind the Engine facade.

Each use case module takes only the ports it needs, keyword-only; `Engine` wires them over
one store adapter so the public API is one object.
"""

from domain.compaction import CompactionResult
from entrypoints.engine.facade import Engine
from entrypoints.engine.limits import MAX_BATCH, MAX_PAGE, MAX_QUERY_CHARS
from entrypoints.engine.store import Store

__all__ = ["MAX_BATCH", "MAX_PAGE", "MAX_QUERY_CHARS", "CompactionResult", "Engine", "Store"]
