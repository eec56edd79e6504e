"""Metrics scraped from /api/metrics, request ids, readiness, and 503 problems."""

from __future__ import annotations

import re

from tests.http.conftest import Api

_SAMPLE = re.compile(r"^([a-z_]+)(\{.*\})? (\S+)$")


def _scrape(api: Api) -> dict[str, float]:
    r = api.client.get("/api/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line:
            continue
        match = _SAMPLE.match(line)
        assert match, line
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_metrics_count_requests_per_route_template_and_the_work_done(api: Api) -> None:
    # A summary capped well below what it covers: a longer one would be refused.
    cid = api.new_context(policy={"keep_recent": 1, "summary_tokens": 40})
    for n in range(3):
        assert api.append(cid, {"role": "user", "content": f"m{n} " * 40}).status_code == 201
    window = api.client.get(f"/api/v1/contexts/{cid}/window", headers=api.headers)
    assert window.status_code == 200
    api.client.post(f"/api/v1/contexts/{cid}/window", json={}, headers=api.headers)
    r = api.client.post(
        f"/api/v1/contexts/{cid}/compact", json={"force": True}, headers=api.headers
    )
    assert r.status_code == 201, r.text
    api.client.get("/api/v1/contexts/nope", headers=api.headers)  # a 404 on a known route
    s = _scrape(api)
    route = 'route="/api/v1/contexts/{context_id}/messages"'
    assert s[f'kata_http_requests_total{{method="POST",{route},status="201"}}'] == 3
    assert s[f'kata_http_request_duration_seconds_count{{method="POST",{route}}}'] == 3
    assert s[f'kata_http_request_duration_seconds_bucket{{method="POST",{route},le="+Inf"}}'] == 3
    assert s[f'kata_http_request_duration_seconds_sum{{method="POST",{route}}}'] > 0
    one = 'route="/api/v1/contexts/{context_id}"'
    assert s[f'kata_http_requests_total{{method="GET",{one},status="404"}}'] == 1
    assert not any(cid in key for key in s), "raw paths must not become labels"
    assert (s["kata_appends_total"], s["kata_windows_total"], s["kata_compactions_total"]) == (
        3, 2, 1,
    )  # fmt: skip


def test_a_request_id_is_returned_and_a_bad_one_replaced(api: Api) -> None:
    assert api.client.get("/api/health", headers={"X-Request-Id": "abc.123"}).headers[
        "x-request-id"
    ] == "abc.123"
    for bad in ("has space", "x" * 200, "semi;colon"):
        got = api.client.get("/api/health", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", got), got
    made = api.client.get("/api/v1/contexts", headers=api.headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    problem = api.client.get("/api/v1/contexts")  # a 401 carries one too
    assert problem.status_code == 401 and problem.headers["x-request-id"]


def test_readiness_asks_the_store_and_health_does_not(api: Api) -> None:
    ready = api.client.get("/api/ready")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert api.client.get("/api/health").json()["status"] == "ok"
