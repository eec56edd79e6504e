"""The composition root: which adapters an engine is built from, per deployment."""

from __future__ import annotations

from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine
from entrypoints.settings import Settings
from ports.store import ContextStore


def build_engine(store: ContextStore, settings: Settings | None = None) -> Engine:
    """An engine over `store` with offline tokens, the extractive summarizer, real time."""
    settings = settings or Settings()
    tokens = OfflineTokenCounter()
    return Engine(
        store=store,
        tokens=tokens,
        summarizer=ExtractiveSummarizer(tokens),
        clock=SystemClock(),
        ids=UuidIds(),
        dimension=settings.dimension,
    )
