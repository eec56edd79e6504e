"""The composition root: which adapters an engine is built from, per deployment."""

from __future__ import annotations

from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine
from entrypoints.engine import Store as ContextStore
from entrypoints.settings import Settings
from ports.embedder import Embedder


def build_engine(
    store: ContextStore, settings: Settings | None = None, *, embedder: Embedder | None = None
) -> Engine:
    """An engine over `store` with offline tokens, the extractive summarizer, real time.

    Without an embedder, clients send their own embeddings (of settings.dimension); an
    embedder must produce that dimension too (the engine refuses it otherwise).
    """
    settings = settings or Settings()
    tokens = OfflineTokenCounter()
    return Engine(
        store=store,
        tokens=tokens,
        summarizer=ExtractiveSummarizer(tokens),
        clock=SystemClock(),
        ids=UuidIds(),
        embedder=embedder,
        dimension=settings.dimension,
    )
