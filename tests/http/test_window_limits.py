"""What one window may materialise: a window past the deployment's limits is a 422
window-too-large problem on both stores, with the figures, and nothing is recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from domain.errors import WindowTooLarge
from entrypoints.engine import Store
from entrypoints.engine.limits import WindowLimits
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from entrypoints.settings import Settings
from ports.keys import ApiKeyStore
from tests.http.conftest import SETTINGS, engine_over

LIMITS = WindowLimits(max_tokens=100, max_entries=3)
# Fits the limits' tokens: windows asked without a budget use it.
POLICY = {"budget": 90, "reserve": 0}


@pytest.fixture
def limited(
    adapters: tuple[Store, ApiKeyStore], clock: Any
) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    store, keys = adapters
    engine = engine_over(store, clock, window_limits=LIMITS)
    _, secret = issue_key(keys, tenant_id=f"t-{uuid.uuid4()}", clock=clock)
    app = create_app(engine=engine, keys=keys, settings=SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def _context(client: TestClient[Any], auth: dict[str, str], messages: int, **policy: Any) -> str:
    made = client.post("/api/v1/contexts", json={"policy": {**POLICY, **policy}}, headers=auth)
    assert made.status_code == 201, made.text
    cid = str(made.json()["id"])
    batch = [{"role": "user", "content": f"m{i}", "token_count": 10} for i in range(messages)]
    r = client.post(f"/api/v1/contexts/{cid}/messages", json={"messages": batch}, headers=auth)
    assert r.status_code == 201, r.text
    return cid


def test_a_budget_past_the_token_limit_is_refused_with_the_figures(limited: Any) -> None:
    client, auth = limited
    cid = _context(client, auth, 2)
    r = client.get(f"/api/v1/contexts/{cid}/window?budget=150&reserve=40", headers=auth)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith("/window-too-large")
    assert (body["resource"], body["limit"], body["requested"]) == ("tokens", 100, 110)
    # At the limit exactly, the window is served.
    ok = client.get(f"/api/v1/contexts/{cid}/window?budget=140&reserve=40", headers=auth)
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["entries"]) == 2


def test_without_a_reserve_the_policys_reserve_counts(limited: Any) -> None:
    client, auth = limited
    cid = _context(client, auth, 1, reserve=30)
    assert client.get(f"/api/v1/contexts/{cid}/window?budget=130", headers=auth).status_code == 200
    refused = client.get(f"/api/v1/contexts/{cid}/window?budget=131", headers=auth)
    assert refused.status_code == 422
    assert refused.json()["requested"] == 101


def test_a_budget_past_the_limit_is_refused_before_any_read(limited: Any) -> None:
    # No context is read: a missing one answers the limit, not 404.
    client, auth = limited
    missing = f"/api/v1/contexts/{uuid.uuid4()}/window?budget=500&reserve=0"
    assert client.get(missing, headers=auth).json()["resource"] == "tokens"


def test_a_window_of_more_entries_than_the_limit_is_refused_and_not_recorded(
    limited: Any,
) -> None:
    client, auth = limited
    cid = _context(client, auth, 5)
    r = client.get(f"/api/v1/contexts/{cid}/window?budget=40&record=true", headers=auth)
    assert r.status_code == 422, r.text
    assert (r.json()["resource"], r.json()["limit"], r.json()["requested"]) == ("entries", 3, 4)
    posted = client.post(
        f"/api/v1/contexts/{cid}/window", json={"budget": 40, "query": "m1", "record": True},
        headers=auth,
    )
    assert posted.status_code == 422, posted.text
    receipts = client.get(f"/api/v1/contexts/{cid}/receipts", headers=auth).json()
    assert receipts["items"] == []
    fits = client.get(f"/api/v1/contexts/{cid}/window?budget=30&record=true", headers=auth)
    assert fits.status_code == 200
    assert len(fits.json()["entries"]) == 3


def test_a_policy_budget_past_the_limit_refuses_windows_asked_without_one(limited: Any) -> None:
    client, auth = limited
    cid = _context(client, auth, 1, budget=500)
    r = client.get(f"/api/v1/contexts/{cid}/window", headers=auth)
    assert r.status_code == 422
    assert r.json()["requested"] == 500


def test_the_limits_are_deployment_settings() -> None:
    settings = Settings.from_env({"KATA_WINDOW_MAX_TOKENS": "5000", "KATA_WINDOW_MAX_ENTRIES": "7"})
    assert (settings.window_max_tokens, settings.window_max_entries) == (5000, 7)
    assert (Settings().window_max_tokens, Settings().window_max_entries) == (1_000_000, 10_000)


@given(
    budget=st.integers(1, 10_000), reserve=st.integers(0, 10_000), cap=st.integers(1, 10_000)
)
def test_a_budget_is_refused_exactly_when_its_window_could_pass_the_cap(
    budget: int, reserve: int, cap: int
) -> None:
    limits = WindowLimits(max_tokens=cap)
    try:
        limits.check_budget(budget, reserve)
    except WindowTooLarge as err:
        assert budget - reserve > cap
        assert (err.limit, err.requested) == (cap, budget - reserve)
    else:
        assert budget - reserve <= cap
