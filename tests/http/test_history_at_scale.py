"""Copy-on-write forks, windows as of a version, and purge over HTTP (every adapter)."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Api

PROBLEM = "application/problem+json"


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text, "token_count": 10}


def _texts(window: dict[str, Any]) -> list[str]:
    return [w["entry"]["content"] for w in window["entries"]]


def test_the_window_as_of_a_version_is_the_window_of_then(api: Api) -> None:
    cid = api.new_context(policy={"budget": 35, "keep_recent": 1, "summary_tokens": 5})
    url = f"/api/v1/contexts/{cid}/window"
    then: dict[int, dict[str, Any]] = {}
    for i in range(1, 7):
        api.append(cid, _user(f"m{i}"))
        then[i] = api.client.get(url, headers=api.headers).json()
    r = api.client.post(f"/api/v1/contexts/{cid}/compact", json={"force": True},
                        headers=api.headers)
    assert r.status_code == 201, r.text
    api.append(cid, _user("m8"))
    now = api.client.get(url, headers=api.headers).json()
    assert now["summary_covers"] is not None and _texts(now)[-1] == "m8"
    for version, window in then.items():
        got = api.client.get(url, params={"at": version}, headers=api.headers)
        assert got.status_code == 200, got.text
        assert got.json() == window, version
        posted = api.client.post(url, json={"at": version}, headers=api.headers)
        assert posted.json() == window, version
    assert _texts(api.client.get(url, params={"at": 3}, headers=api.headers).json()) == [
        "m1", "m2", "m3"
    ]
    for at in (9, 100):
        bad = api.client.get(url, params={"at": at}, headers=api.headers)
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
        assert bad.json()["type"] == "/api/problems/version-out-of-range"
    bad = api.client.post(url, json={"at": -1}, headers=api.headers)
    assert bad.status_code in (400, 422) and bad.headers["content-type"] == PROBLEM


def test_forks_of_forks_share_history_and_purge_keeps_what_they_share(api: Api) -> None:
    root = api.new_context(name="root")
    api.append(root, *[_user(f"r{i}") for i in range(1, 6)])
    a = api.client.post(f"/api/v1/contexts/{root}/fork", json={"version": 4},
                        headers=api.headers).json()["id"]
    api.append(a, _user("a5"), _user("a6"))
    b = api.client.post(f"/api/v1/contexts/{a}/fork", json={"version": 5},
                        headers=api.headers).json()["id"]
    api.append(b, _user("b6"))

    def texts(cid: str) -> list[str]:
        r = api.client.get(f"/api/v1/contexts/{cid}/messages", headers=api.headers)
        assert r.status_code == 200, r.text
        return [e["content"] for e in r.json()["items"]]

    assert texts(b) == ["r1", "r2", "r3", "r4", "a5", "b6"]
    state = api.client.get(f"/api/v1/contexts/{b}", headers=api.headers).json()
    assert (state["head_version"], state["token_total"], state["fork_version"]) == (6, 60, 5)

    r = api.client.post(f"/api/v1/contexts/{root}/purge", headers=api.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "context_id": root, "entries_removed": 1, "embeddings_removed": 0,
        "entries_kept_for_forks": 4, "receipts_removed": 0,
    }
    assert api.client.get(f"/api/v1/contexts/{root}", headers=api.headers).status_code == 404
    again = api.client.post(f"/api/v1/contexts/{root}/purge", headers=api.headers)
    assert again.status_code == 404 and again.json()["type"] == "/api/problems/context-not-found"
    assert texts(b) == ["r1", "r2", "r3", "r4", "a5", "b6"]
    window = api.client.get(f"/api/v1/contexts/{b}/window", headers=api.headers).json()
    assert _texts(window) == ["r1", "r2", "r3", "r4", "a5", "b6"]

    # A soft-deleted context can be purged; the last fork's purge frees the rest.
    assert api.client.delete(f"/api/v1/contexts/{a}", headers=api.headers).status_code == 204
    gone_a = api.client.post(f"/api/v1/contexts/{a}/purge", headers=api.headers).json()
    assert (gone_a["entries_removed"], gone_a["entries_kept_for_forks"]) == (1, 1)
    gone_b = api.client.post(f"/api/v1/contexts/{b}/purge", headers=api.headers).json()
    assert (gone_b["entries_removed"], gone_b["entries_kept_for_forks"]) == (1 + 1 + 4, 0)

    # The audit: one record per purge, in order, with the counts it answered.
    audit = api.client.get("/api/v1/erasures", headers=api.headers)
    assert audit.status_code == 200, audit.text
    records = audit.json()["items"]
    assert [(r["context_id"], r["reason"], r["entries_removed"]) for r in records] == [
        (root, "request", 1), (a, "request", 1), (b, "request", 6),
    ]


def test_purge_needs_a_key_and_the_tenant(api: Api) -> None:
    cid = api.new_context()
    r = api.client.post(f"/api/v1/contexts/{cid}/purge")
    assert r.status_code == 401
    assert api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).status_code == 200


def test_compaction_revert_refusal_and_windows_without_summaries(api: Api) -> None:
    cid = api.new_context(policy={"budget": 400, "keep_recent": 2, "summary_tokens": 30})
    api.append(cid, *[
        {"role": "user", "content": f"fact {i}: the depot in sector {i} closes at {i} pm",
         "token_count": 20}
        for i in range(8)
    ])
    compact = api.client.post(f"/api/v1/contexts/{cid}/compact", json={"force": True},
                              headers=api.headers)
    assert compact.status_code == 201, compact.text
    summary = compact.json()["summary_version"]
    url = f"/api/v1/contexts/{cid}/window"
    assert api.client.get(url, headers=api.headers).json()["summary_covers"] is not None
    plain = api.client.get(url, params={"include_summary": "false"}, headers=api.headers)
    assert plain.status_code == 200 and plain.json()["summary_covers"] is None
    assert len(plain.json()["entries"]) == 8

    wrong = api.client.post(f"/api/v1/contexts/{cid}/compactions/{summary - 1}/revert",
                            headers=api.headers)
    assert wrong.status_code == 409 and wrong.json()["type"] == "/api/problems/not-revertible"
    r = api.client.post(f"/api/v1/contexts/{cid}/compactions/{summary}/revert",
                        headers=api.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["reverted_version"], body["restored_version"], body["compacted_through"]) == (
        summary, None, 0,
    )
    assert body["tokens_after"] == 8 * 20
    assert api.client.get(url, headers=api.headers).json()["summary_covers"] is None
    entries = api.client.get(f"/api/v1/contexts/{cid}/messages", headers=api.headers).json()
    kinds = [e["kind"] for e in entries["items"]]
    assert kinds[-2:] == ["summary", "revert"]

    tiny = api.new_context(policy={"keep_recent": 1})
    api.append(tiny, *[{"role": "user", "content": "ok", "token_count": 1}] * 3)
    refused = api.client.post(f"/api/v1/contexts/{tiny}/compact", json={"force": True},
                              headers=api.headers)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"] == "/api/problems/summary-not-shorter"
    assert problem["summary_tokens"] >= problem["covered_tokens"] == 2
