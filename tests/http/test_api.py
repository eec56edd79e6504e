"""The HTTP API's behaviour, over every adapter, through Litestar's test client."""

from __future__ import annotations

import pytest

from tests.http.conftest import Api, revoking_store

PROBLEM = "application/problem+json"


def _user(text: str, **extra: object) -> dict[str, object]:
    return {"role": "user", "content": text, **extra}


def test_health_is_public(api: Api) -> None:
    r = api.client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_create_read_update_list_delete(api: Api) -> None:
    cid = api.new_context(
        name="chat", metadata={"a": [1, 2]}, policy={"budget": 500, "summary_tokens": 100}
    )
    got = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()
    assert (got["name"], got["metadata"], got["policy"]["budget"]) == ("chat", {"a": [1, 2]}, 500)
    assert (got["head_version"], got["entry_count"], got["token_total"]) == (0, 0, 0)

    r = api.client.patch(f"/api/v1/contexts/{cid}", json={"name": "renamed"}, headers=api.headers)
    assert r.status_code == 200
    assert r.json()["name"] == "renamed"
    assert r.json()["metadata"] == {"a": [1, 2]}
    r = api.client.patch(
        f"/api/v1/contexts/{cid}", json={"policy": {"reserve": 50}}, headers=api.headers
    )
    policy = r.json()["policy"]
    assert (policy["budget"], policy["reserve"], policy["summary_tokens"]) == (500, 50, 100)
    r = api.client.patch(
        f"/api/v1/contexts/{cid}", json={"policy": {"reserve": 600}}, headers=api.headers
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/api/problems/invalid-input"

    assert api.client.delete(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 204
    r = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/api/problems/context-not-found"


def test_lowering_the_budget_alone_is_accepted(api: Api) -> None:
    cid = api.new_context()
    r = api.client.patch(
        f"/api/v1/contexts/{cid}", json={"policy": {"budget": 300}}, headers=api.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["policy"]["budget"], r.json()["policy"]["summary_tokens"]) == (300, 75)


def test_list_pages_follow_the_cursor(api: Api) -> None:
    made = [api.new_context(name=f"c{i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/contexts", params=params, headers=api.headers).json()
        seen += [c["id"] for c in page["items"]]
        assert len(page["items"]) <= 2
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_append_assigns_versions_and_counts_tokens(api: Api) -> None:
    cid = api.new_context()
    r = api.append(cid, {"role": "system", "content": "be brief"}, _user("hello"))
    assert r.status_code == 201
    out = r.json()
    assert (out["first_version"], out["last_version"], out["head_version"]) == (1, 2, 2)
    assert out["replayed"] is False
    r = api.append(cid, _user("x", token_count=7))
    assert r.json()["token_count"] == 7
    ctx = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()
    assert ctx["head_version"] == 3
    assert ctx["token_total"] == out["token_count"] + 7


def test_expected_version_conflict_carries_the_head(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, _user("a"), _user("b"))
    r = api.append(cid, _user("c"), expected_version=1)
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "/api/problems/version-conflict"
    assert (body["current_version"], body["expected_version"]) == (2, 1)
    assert api.append(cid, _user("c"), expected_version=2).status_code == 201


def test_idempotency_key_replays_and_rejects_a_different_payload(api: Api) -> None:
    cid = api.new_context()
    url = f"/api/v1/contexts/{cid}/messages"
    h = {**api.headers, "Idempotency-Key": "k-1"}
    first = api.client.post(url, json={"messages": [_user("once")]}, headers=h)
    again = api.client.post(url, json={"messages": [_user("once")]}, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "replayed": True}
    ctx = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()
    assert ctx["head_version"] == 1
    other = api.client.post(url, json={"messages": [_user("twice")]}, headers=h)
    assert other.status_code == 422
    assert other.json()["type"] == "/api/problems/idempotency-key-reused"


def test_time_travel_and_versions(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, *[_user(f"m{i}") for i in range(1, 6)])
    r = api.client.get(
        f"/api/v1/contexts/{cid}/messages", params={"at": 3, "limit": 2}, headers=api.headers
    )
    page = r.json()
    assert [e["content"] for e in page["items"]] == ["m1", "m2"]
    assert page["next_cursor"] == "2"
    r = api.client.get(
        f"/api/v1/contexts/{cid}/messages",
        params={"at": 3, "after": page["next_cursor"]},
        headers=api.headers,
    )
    assert [e["content"] for e in r.json()["items"]] == ["m3"]
    assert r.json()["next_cursor"] is None

    state = api.client.get(f"/api/v1/contexts/{cid}/versions/4", headers=api.headers).json()
    assert state["entry"]["content"] == "m4"
    assert [e["version"] for e in state["entries"]] == [1, 2, 3, 4]

    r = api.client.get(f"/api/v1/contexts/{cid}/messages", params={"at": 9}, headers=api.headers)
    assert r.status_code == 422
    assert (r.json()["version"], r.json()["head_version"]) == (9, 5)


def test_window_keeps_pins_and_recent_entries_within_budget(api: Api) -> None:
    cid = api.new_context()
    api.append(
        cid,
        {"role": "system", "content": "rules", "token_count": 10},
        *[_user(f"m{i}", token_count=10) for i in range(10)],
    )
    r = api.client.get(
        f"/api/v1/contexts/{cid}/window", params={"budget": 45, "reserve": 5}, headers=api.headers
    )
    assert r.status_code == 200
    w = r.json()
    assert [x["reason"] for x in w["entries"]] == ["pinned", "recent", "recent", "recent"]
    assert [x["entry"]["version"] for x in w["entries"]] == [1, 9, 10, 11]
    assert (w["tokens"], w["available"], w["head_version"]) == (40, 40, 11)
    assert w["omitted"] == [{"first": 2, "last": 8}]
    posted = api.client.post(
        f"/api/v1/contexts/{cid}/window", json={"budget": 45, "reserve": 5}, headers=api.headers
    )
    assert posted.json() == w


def test_window_errors(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, {"role": "system", "content": "rules", "token_count": 50})
    url = f"/api/v1/contexts/{cid}/window"
    small = api.client.get(url, params={"budget": 20}, headers=api.headers)
    assert small.status_code == 422
    assert small.json()["type"] == "/api/problems/budget-too-small"
    for params in ({"budget": 0}, {"budget": 3_000_000}, {"budget": "x"}, {"reserve": -1}):
        r = api.client.get(url, params=params, headers=api.headers)
        assert r.status_code == 422, params
        assert r.json()["type"] == "/api/problems/validation-error"
    r = api.client.get(url, params={"budget": 10, "reserve": 10}, headers=api.headers)
    assert r.json()["type"] == "/api/problems/invalid-input"


def test_fork_and_list_forks(api: Api) -> None:
    cid = api.new_context(name="main")
    api.append(cid, *[_user(f"m{i}") for i in range(1, 5)])
    r = api.client.post(f"/api/v1/contexts/{cid}/fork", json={"version": 2}, headers=api.headers)
    assert r.status_code == 201
    child = r.json()
    assert (child["parent_id"], child["fork_version"], child["head_version"]) == (cid, 2, 2)
    api.append(child["id"], _user("branch"))
    texts = api.client.get(f"/api/v1/contexts/{child['id']}/messages", headers=api.headers)
    assert [e["content"] for e in texts.json()["items"]] == ["m1", "m2", "branch"]
    forks = api.client.get(f"/api/v1/contexts/{cid}/forks", headers=api.headers).json()
    assert [c["id"] for c in forks["items"]] == [child["id"]]
    bad = api.client.post(f"/api/v1/contexts/{cid}/fork", json={"version": 9}, headers=api.headers)
    assert bad.json()["type"] == "/api/problems/version-out-of-range"


def test_compaction_writes_a_summary_the_window_uses(api: Api) -> None:
    cid = api.new_context(policy={"budget": 200, "keep_recent": 2, "summary_tokens": 50})
    api.append(cid, *[_user(f"fact number {i}", token_count=10) for i in range(6)])
    url = f"/api/v1/contexts/{cid}/compact"
    r = api.client.post(url, json={"force": True}, headers=api.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["covers"] == {"first": 1, "last": 4}
    assert out["summary_version"] == 7
    w = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers).json()
    assert [x["reason"] for x in w["entries"]] == ["summary", "recent", "recent"]
    assert w["summary_covers"] == {"first": 1, "last": 4}


def test_nothing_to_compact_is_a_conflict(api: Api) -> None:
    cid = api.new_context()
    r = api.client.post(f"/api/v1/contexts/{cid}/compact", headers=api.headers)
    assert r.status_code == 409
    assert r.json()["type"] == "/api/problems/nothing-to-compact"


def test_search_is_scoped_to_the_tenant(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, _user("near", embedding=[1, 0, 0]), _user("far", embedding=[0, 1, 0]))
    theirs = api.client.post("/api/v1/contexts", json={}, headers=api.other).json()["id"]
    api.client.post(
        f"/api/v1/contexts/{theirs}/messages",
        json={"messages": [_user("secret", embedding=[1, 0, 0])]},
        headers=api.other,
    )
    query = {"embedding": [1, 0.1, 0], "k": 5}
    r = api.client.post("/api/v1/search", json=query, headers=api.headers)
    hits = r.json()["items"]
    assert [h["entry"]["content"] for h in hits] == ["near", "far"]
    assert hits[0]["score"] > hits[1]["score"]
    r = api.client.post("/api/v1/search", json={"embedding": [1, 0]}, headers=api.headers)
    assert r.json()["type"] == "/api/problems/dimension-mismatch"
    r = api.client.post(
        "/api/v1/search", json={"embedding": [1, 0, 0], "context_id": theirs}, headers=api.headers
    )
    assert r.status_code == 404


def test_another_tenants_context_answers_like_a_missing_one(api: Api) -> None:
    cid = api.new_context()
    missing = "00000000-0000-4000-8000-000000000000"
    for method, path, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/messages", {"messages": [_user("x")]}),
        ("GET", "/messages", None),
        ("GET", "/window", None),
        ("GET", "/versions/0", None),
        ("POST", "/fork", {}),
        ("GET", "/forks", None),
        ("POST", "/compact", {}),
    ]:
        theirs = api.client.request(
            method, f"/api/v1/contexts/{cid}{path}", json=body, headers=api.other
        )
        absent = api.client.request(
            method, f"/api/v1/contexts/{missing}{path}", json=body, headers=api.headers
        )
        assert theirs.status_code == absent.status_code == 404, (method, path)
        assert _stable(theirs.json()) == _stable(absent.json())
    assert api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 200
    mine = api.client.get("/api/v1/contexts", headers=api.other).json()["items"]
    assert cid not in [c["id"] for c in mine]


def _stable(problem: dict[str, object]) -> dict[str, object]:
    # What may differ between the two: the id named in the path and its echo.
    return {k: v for k, v in problem.items() if k not in ("instance", "detail", "context_id")}


def test_keys_authenticate_and_revocation_takes_effect(
    api: Api, request: pytest.FixtureRequest
) -> None:
    assert api.client.get("/api/v1/contexts").status_code == 401
    bad = api.client.get("/api/v1/contexts", headers={"Authorization": "Bearer kc_nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    assert bad.json()["type"] == "/api/problems/unauthorized"
    basic = api.client.get("/api/v1/contexts", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    tenant = api.client.get("/api/v1/tenant", headers=api.headers).json()["tenant_id"]
    [key] = api.keys.list_keys(tenant)
    from datetime import UTC, datetime

    assert revoking_store(api, request).revoke_key(key.id, now=datetime.now(UTC))
    assert api.client.get("/api/v1/tenant", headers=api.headers).status_code == 401


def test_text_postgres_cannot_store_is_rejected(api: Api) -> None:
    cid = api.new_context()
    for message in (
        _user("nul \u0000 here"),
        _user("lone \ud800 surrogate"),
        _user("ok", metadata={"k": "a\u0000"}),
        {"role": "user", "content": [{"type": "text", "text": "\u0000"}]},
    ):
        r = api.client.post(
            f"/api/v1/contexts/{cid}/messages",
            content=_json_with_escapes({"messages": [message]}),
            headers={**api.headers, "content-type": "application/json"},
        )
        assert r.status_code == 422, (message, r.text)
        assert r.json()["type"] == "/api/problems/invalid-input"
    r = api.client.post(
        "/api/v1/contexts",
        content=_json_with_escapes({"name": "a\u0000b"}),
        headers={**api.headers, "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert _head(api, cid) == 0


def _head(api: Api, cid: str) -> int:
    return int(
        api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()["head_version"]
    )


def _json_with_escapes(value: object) -> bytes:
    # json.dumps escapes lone surrogates as \ud800, as a real client would send them.
    import json

    return json.dumps(value).encode("ascii")


def test_limits(api: Api) -> None:
    cid = api.new_context()
    url = f"/api/v1/contexts/{cid}/messages"
    huge = api.client.post(url, json={"messages": [_user("x" * 70_000)]}, headers=api.headers)
    assert huge.status_code == 413
    assert huge.json()["type"] == "/api/problems/payload-too-large"
    many = api.client.post(url, json={"messages": [_user("x")] * 1001}, headers=api.headers)
    assert many.status_code == 422
    assert "1000" in many.json()["detail"]
    empty = api.client.post(url, json={"messages": []}, headers=api.headers)
    assert empty.json()["type"] == "/api/problems/empty-batch"
    deep: dict[str, object] = {}
    node = deep
    for _ in range(10):
        node["d"] = {}
        node = node["d"]  # type: ignore[assignment]
    r = api.append(cid, _user("x", metadata=deep))
    assert r.status_code == 422
    assert "levels deep" in r.json()["detail"]
    r = api.append(cid, _user("x", metadata={"big": "y" * 2000}))
    assert r.status_code == 422
    assert "bytes" in r.json()["detail"]
    r = api.client.get("/api/v1/contexts", params={"limit": 1001}, headers=api.headers)
    assert r.json()["type"] == "/api/problems/validation-error"
    assert r.json()["errors"], "the problem says which parameter failed"
    assert _head(api, cid) == 0
    # The problem does not echo a huge query string back.
    r = api.client.get(f"/api/v1/contexts/{cid}/window", params={"query": "q" * 20_001},
                       headers=api.headers)  # fmt: skip
    assert r.status_code == 422 and len(r.text) < 2_000, r.text[:300]


def test_malformed_and_mistyped_bodies(api: Api) -> None:
    cid = api.new_context()
    url = f"/api/v1/contexts/{cid}/messages"
    h = {**api.headers, "content-type": "application/json"}
    r = api.client.post(url, content=b"{nope", headers=h)
    assert (r.status_code, r.json()["type"]) == (400, "/api/problems/bad-request")
    r = api.client.post(url, json={"messages": [{"role": "wizard"}]}, headers=api.headers)
    assert (r.status_code, r.json()["type"]) == (422, "/api/problems/validation-error")
    r = api.client.post(url, json={"mesages": []}, headers=api.headers)
    assert r.status_code == 422
    text = {**api.headers, "content-type": "text/plain"}
    r = api.client.post(url, content=b"messages=1", headers=text)
    assert (r.status_code, r.json()["type"]) == (415, "/api/problems/unsupported-media-type")
    r = api.client.put(url, headers=api.headers)
    assert (r.status_code, r.json()["type"]) == (405, "/api/problems/method-not-allowed")
    r = api.append(cid, {"role": "tool", "content": "result"})
    assert r.json()["type"] == "/api/problems/invalid-input"
