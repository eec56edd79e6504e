"""Offline agents: the engine over the in-memory store, in process (built by compose.py)."""

from __future__ import annotations

from collections.abc import Mapping

from entrypoints.compose import build_engine, memory_adapters
from entrypoints.engine import Engine
from entrypoints.settings import Settings
from ports.embedder import Embedder


def memory_engine(
    *,
    embedder: Embedder | None = None,
    dimension: int = 1536,
    env: Mapping[str, str] | None = None,
) -> Engine:
    """An engine that keeps everything in process: no database, and no network unless
    `env` (e.g. os.environ) names a model summarizer (KATA_SUMMARIZER) or the embedder
    calls out."""
    if embedder is not None:
        dimension = embedder.dimension
    return build_engine(
        memory_adapters().store, Settings(dimension=dimension), embedder=embedder, env=env
    )
