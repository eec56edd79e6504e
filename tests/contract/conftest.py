"""The contract suite's fixtures: one `store` per adapter, a fresh tenant per test."""

from __future__ import annotations

import uuid

import pytest

from adapters.memory.store import MemoryStore
from ports.store import ContextStore


@pytest.fixture(params=["memory"])
def store(request: pytest.FixtureRequest) -> ContextStore:
    """Every adapter in turn; tests never assume the store is empty."""
    if request.param == "postgres":
        found: ContextStore = request.getfixturevalue("postgres_store")
        return found
    return MemoryStore()


@pytest.fixture
def tenant() -> str:
    """A tenant no other test uses."""
    return str(uuid.uuid4())
