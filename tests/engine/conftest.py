"""An engine over the memory store with a fake clock and sequential ids."""

from __future__ import annotations

import pytest

from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine
from tests.conftest import FakeClock, SequentialIds

TENANT = "00000000-0000-4000-8000-00000000000a"


@pytest.fixture(scope="session")
def counter() -> OfflineTokenCounter:
    """One counter for the session: loading the ranks once is what makes it fast."""
    return OfflineTokenCounter()


@pytest.fixture
def engine(counter: OfflineTokenCounter, clock: FakeClock, ids: SequentialIds) -> Engine:
    """A fresh in-memory engine, dimension 4 so embeddings stay short."""
    return Engine(
        store=MemoryStore(),
        tokens=counter,
        summarizer=ExtractiveSummarizer(counter),
        clock=clock,
        ids=ids,
        dimension=4,
    )
