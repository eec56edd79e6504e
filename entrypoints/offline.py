"""Offline agents and scripts: the engine in process, over memory or a PostgreSQL URL.

Both read the same settings the server does when given an environment (`env`, for
example os.environ): KATA_EMBEDDER and KATA_EMBEDDING_DIMENSION choose the embedder and
the dimension, KATA_SUMMARIZER the summarizer. Built by compose.py like every deployment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import attrs

from entrypoints.compose import build_engine, memory_adapters, opened_postgres_adapters
from entrypoints.embedding import embedder_from_env
from entrypoints.engine import Engine
from entrypoints.settings import Settings
from ports.embedder import Embedder


def memory_engine(
    *,
    embedder: Embedder | None = None,
    dimension: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Engine:
    """An engine that keeps everything in process: no database, and no network unless
    the embedder or summarizer `env` names calls out."""
    settings, embedder = _resolved(embedder=embedder, dimension=dimension, env=env)
    return build_engine(memory_adapters().store, settings, embedder=embedder, env=env)


@contextmanager
def postgres_engine(
    url: str,
    *,
    embedder: Embedder | None = None,
    dimension: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[Engine]:
    """An engine over the PostgreSQL at `url`, migrated first (the embedding dimension is
    fixed then, once per database), its pool open for the `with` block."""
    from migrations import migrate

    settings, embedder = _resolved(embedder=embedder, dimension=dimension, env=env)
    migrate(url, dimension=settings.dimension)
    with opened_postgres_adapters(url) as adapters:
        yield build_engine(adapters.store, settings, embedder=embedder, env=env)


def _resolved(
    *, embedder: Embedder | None, dimension: int | None, env: Mapping[str, str] | None
) -> tuple[Settings, Embedder | None]:
    # The embedder given decides the dimension; else the argument; else the environment.
    settings = Settings.from_env(env or {})
    dimension = dimension or settings.dimension
    if embedder is None and env is not None:
        embedder = embedder_from_env(env, dimension=dimension)
    if embedder is not None:
        dimension = embedder.dimension
    return attrs.evolve(settings, dimension=dimension), embedder
