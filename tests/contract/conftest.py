"""The contract suite's fixtures: one `store` per adapter, an engine over it, a fresh
tenant per test."""

from __future__ import annotations

import uuid

import pytest

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from entrypoints.engine import Engine, Store
from ports.keys import ApiKeyStore
from tests.conftest import FakeClock
from tests.contract.support import engine_over


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> Store:
    """Every adapter in turn; tests never assume the store is empty."""
    if request.param == "postgres":
        found: Store = request.getfixturevalue("postgres_store")
        return found
    return MemoryStore()


@pytest.fixture(params=["memory", "postgres"])
def key_store(request: pytest.FixtureRequest) -> ApiKeyStore:
    """Every API key adapter in turn (Postgres provides `postgres_key_store`)."""
    if request.param == "postgres":
        found: ApiKeyStore = request.getfixturevalue("postgres_key_store")
        return found
    return MemoryKeyStore()


@pytest.fixture
def tenant() -> str:
    """A tenant no other test uses."""
    return str(uuid.uuid4())


@pytest.fixture
def engine(store: Store, clock: FakeClock) -> Engine:
    """An engine over each store in turn (tests.contract.support.engine_over)."""
    return engine_over(store, clock)
