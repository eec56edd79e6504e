"""Tool-result clearing and cache-stable windows over HTTP: policy fields, window fields,
and problem+json for bad values."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Api

PROBLEM = "application/problem+json"


def turn(i: int) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"question {i}", "token_count": 10},
        {
            "role": "assistant",
            "tool_calls": [{"id": f"c{i}", "name": "search", "arguments": "{}"}],
            "token_count": 10,
        },
        {"role": "tool", "tool_call_id": f"c{i}", "content": "rows " * 80, "token_count": 100},
        {"role": "assistant", "content": f"answer {i}", "token_count": 10},
    ]


def test_a_window_reports_cleared_results_saved_tokens_and_its_shared_prefix(api: Api) -> None:
    policy = {
        "budget": 700,
        "clear_tool_results": True,
        "clear_keep": 1,
        "clear_exclude": ["read_file"],
        "cache_stable": True,
        "cache_block": 0.3,
    }
    cid = api.new_context(policy=policy)
    got = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()["policy"]
    assert {k: got[k] for k in policy} == policy
    assert got["clear_trigger"] == 0
    for i in range(10):
        assert api.append(cid, *turn(i)).status_code == 201
    w = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers).json()
    cleared = [x for x in w["entries"] if x.get("cleared")]
    assert len(cleared) >= 2
    assert all(x["entry"]["role"] == "tool" and x["entry"]["tool_call_id"] for x in cleared)
    stub = cleared[0]["entry"]["token_count"]
    assert stub < 100 and w["tokens_saved"] == sum(100 - x["entry"]["token_count"] for x in cleared)
    assert isinstance(w["shared_prefix_tokens"], int)
    assert 0 <= w["shared_prefix_tokens"] <= w["tokens"]
    assert w["tokens"] <= 700
    # The history keeps the results whole.
    page = api.client.get(f"/api/v1/contexts/{cid}/messages", headers=api.headers).json()
    tools = [e for e in page["items"] if e["role"] == "tool"]
    assert all(e["content"] == "rows " * 80 for e in tools)
    # Without the options: nothing cleared, nothing shared reported.
    r = api.client.patch(
        f"/api/v1/contexts/{cid}",
        json={"policy": {"clear_tool_results": False, "cache_stable": False}},
        headers=api.headers,
    )
    assert r.status_code == 200
    plain = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers).json()
    assert plain["tokens_saved"] == 0 and plain["shared_prefix_tokens"] is None
    assert not any("cleared" in x for x in plain["entries"])


def test_bad_rule_values_are_problems(api: Api) -> None:
    cid = api.new_context()
    url = f"/api/v1/contexts/{cid}"
    invalid = (
        {"cache_block": 0},
        {"cache_block": 1.5},
        {"clear_keep": 20_000},
        {"clear_trigger": 3_000_000},
        {"clear_exclude": [""]},
        {"clear_exclude": [f"t{i}" for i in range(65)]},
    )
    for policy in invalid:
        r = api.client.patch(url, json={"policy": policy}, headers=api.headers)
        assert r.status_code == 422, policy
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["type"] == "/api/problems/invalid-input", policy
    malformed = (
        {"clear_keep": -1},
        {"clear_exclude": "search"},
        {"cache_stable": "yes"},
        {"cache_stabel": True},
    )
    for policy in malformed:
        r = api.client.patch(url, json={"policy": policy}, headers=api.headers)
        assert r.status_code in (400, 422), policy
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["type"] in ("/api/problems/validation-error", "/api/problems/bad-request")
    policy = api.client.get(url, headers=api.headers).json()["policy"]
    assert (policy["cache_block"], policy["clear_keep"], policy["clear_exclude"]) == (0.25, 3, [])
