"""Receipts, restore and the retention route over HTTP, on every adapter."""

from __future__ import annotations

from typing import Any

import attrs
from litestar.testing import TestClient

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine
from entrypoints.http.app import create_app
from tests.http.conftest import SETTINGS, Api

PROBLEM = "application/problem+json"


def _seeded(api: Api, n: int = 12, **policy: Any) -> str:
    cid = api.new_context(policy=policy) if policy else api.new_context()
    messages = [{"role": "system", "content": "be brief", "token_count": 3}] + [
        {"role": "user", "content": f"turn {i}", "token_count": 10} for i in range(n)
    ]
    assert api.append(cid, *messages).status_code == 201
    return cid


def test_a_recorded_window_is_read_back_exactly_after_appends_and_a_compaction(
    api: Api,
) -> None:
    cid = _seeded(api)
    r = api.client.get(f"/api/v1/contexts/{cid}/window?budget=60&record=true", headers=api.headers)
    assert r.status_code == 200, r.text
    sent = r.json()
    rid = sent["receipt_id"]
    assert rid and r.headers["Kata-Receipt"] == rid
    body = {"budget": 80, "query": "turn 3", "record": True}
    q = api.client.post(f"/api/v1/contexts/{cid}/window", json=body, headers=api.headers)
    assert q.status_code == 200 and q.headers["Kata-Receipt"] == q.json()["receipt_id"]

    api.append(cid, *[{"role": "user", "content": f"later {i}", "token_count": 10}
                      for i in range(12)])
    c = api.client.post(f"/api/v1/contexts/{cid}/compact", json={"force": True},
                        headers=api.headers)
    assert c.status_code in (200, 201), c.text

    got = api.client.get(f"/api/v1/contexts/{cid}/receipts/{rid}", headers=api.headers)
    assert got.status_code == 200, got.text
    assert got.json()["window"] == sent
    receipt = got.json()["receipt"]
    assert receipt["id"] == rid and receipt["budget"] == 60 and receipt["query_hash"] is None
    assert [e["version"] for e in receipt["entries"]] == [
        e["entry"]["version"] for e in sent["entries"]
    ]
    assert [e["reason"] for e in receipt["entries"]] == [e["reason"] for e in sent["entries"]]
    queried = api.client.get(f"/api/v1/contexts/{cid}/receipts/{q.json()['receipt_id']}",
                             headers=api.headers).json()
    assert queried["window"] == q.json()
    assert len(queried["receipt"]["query_hash"]) == 64  # a digest, never the text
    assert "turn 3" not in str(queried["receipt"])


def test_unrecorded_windows_have_no_receipt_and_the_list_pages_by_time(api: Api) -> None:
    cid = _seeded(api, n=4)
    plain = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers)
    assert plain.json()["receipt_id"] is None and "Kata-Receipt" not in plain.headers
    made = [
        api.client.get(f"/api/v1/contexts/{cid}/window?record=true&budget={20 + i}",
                       headers=api.headers).json()["receipt_id"]
        for i in range(3)
    ]
    first = api.client.get(f"/api/v1/contexts/{cid}/receipts?limit=2", headers=api.headers)
    assert first.status_code == 200
    page = first.json()
    rest = api.client.get(f"/api/v1/contexts/{cid}/receipts",
                          params={"limit": 2, "cursor": page["next_cursor"]},
                          headers=api.headers).json()
    assert [r["id"] for r in page["items"] + rest["items"]] == made
    assert rest["next_cursor"] is None


def test_recording_by_policy_is_patched_like_any_policy_field(api: Api) -> None:
    cid = _seeded(api, n=3)
    r = api.client.patch(f"/api/v1/contexts/{cid}",
                         json={"policy": {"record_windows": True, "receipt_retention_days": 7}},
                         headers=api.headers)
    assert r.status_code == 200
    assert (r.json()["policy"]["record_windows"], r.json()["policy"]["receipt_retention_days"]) \
        == (True, 7)
    w = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers)
    assert w.json()["receipt_id"]
    off = api.client.get(f"/api/v1/contexts/{cid}/window?record=false", headers=api.headers)
    assert off.json()["receipt_id"] is None


def test_another_tenants_receipt_is_a_404_like_a_missing_one(api: Api) -> None:
    cid = _seeded(api, n=3)
    rid = api.client.get(f"/api/v1/contexts/{cid}/window?record=true",
                         headers=api.headers).json()["receipt_id"]
    theirs = api.client.get(f"/api/v1/contexts/{cid}/receipts/{rid}", headers=api.other)
    missing = api.client.get(f"/api/v1/contexts/nope/receipts/{rid}", headers=api.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"].startswith(PROBLEM)
    assert theirs.json()["type"] == missing.json()["type"] == "/api/problems/context-not-found"
    listed = api.client.get(f"/api/v1/contexts/{cid}/receipts", headers=api.other)
    assert listed.status_code == 404
    unknown = api.client.get(f"/api/v1/contexts/{cid}/receipts/no-such", headers=api.headers)
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/api/problems/receipt-not-found"
    assert unknown.json()["receipt_id"] == "no-such"


def test_restore_brings_a_deleted_context_back(api: Api) -> None:
    cid = _seeded(api, n=2)
    assert api.client.delete(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 204
    assert api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 404
    other = api.client.post(f"/api/v1/contexts/{cid}/restore", headers=api.other)
    assert other.status_code == 404
    r = api.client.post(f"/api/v1/contexts/{cid}/restore", headers=api.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cid and r.json()["head_version"] == 3
    assert api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 200
    again = api.client.post(f"/api/v1/contexts/{cid}/restore", headers=api.headers)
    assert again.status_code == 200  # a live context is returned as it is


def test_restore_past_the_retention_is_a_404(api: Api) -> None:
    cid = _seeded(api, n=2, deleted_retention_days=0)
    api.client.delete(f"/api/v1/contexts/{cid}", headers=api.headers)
    r = api.client.post(f"/api/v1/contexts/{cid}/restore", headers=api.headers)
    assert r.status_code == 404  # the fake clock has moved past the delete: 0 days is over
    assert r.json()["type"] == "/api/problems/context-not-found"


def test_the_retention_route_needs_the_cron_secret() -> None:
    tokens = OfflineTokenCounter()
    engine = Engine(store=MemoryStore(), tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                    clock=SystemClock(), ids=UuidIds(), dimension=SETTINGS.dimension)
    for secret in (None, "s3cret"):
        app = create_app(engine=engine, keys=MemoryKeyStore(),
                         settings=attrs.evolve(SETTINGS, cron_secret=secret))
        with TestClient(app) as client:
            assert client.get("/api/admin/retention").status_code == 401
            wrong = client.get("/api/admin/retention", headers={"Authorization": "Bearer no"})
            assert wrong.status_code == 401
            ok = client.get("/api/admin/retention", headers={"Authorization": "Bearer s3cret"})
            if secret is None:
                assert ok.status_code == 401
            else:
                assert ok.status_code == 200, ok.text
                assert set(ok.json()["deleted"]) == {"receipts", "contexts"}
