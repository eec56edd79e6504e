"""Shared fixtures: hypothesis profiles, a deterministic clock and ids."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings

# Real PostgreSQL fixtures (postgres_store, postgres_keys...), started only when asked for.
pytest_plugins = ["tests.postgres_fixtures"]

# Tests take their example counts from these profiles (CI=true picks "ci"), never from a
# max_examples of their own: even the Postgres state machine fits in seconds at 100.
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


class FakeClock:
    """A clock that advances one millisecond per reading."""

    def __init__(self) -> None:
        self._t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self._t += timedelta(milliseconds=1)
        return self._t


class SequentialIds:
    """Ids ctx-000001, ctx-000002, ... (unique per instance; uuid-shaped for Postgres)."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._n):012d}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()
