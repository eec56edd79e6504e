"""Text PostgreSQL cannot store, arriving anywhere in a request, answers 4xx, never 500."""

from __future__ import annotations

from tests.http.conftest import Api


def test_unstorable_text_in_paths_queries_and_headers(api: Api) -> None:
    cid = api.new_context()
    h = api.headers
    for method, url, kwargs in [
        ("GET", "/api/v1/contexts/a%00b", {}),
        ("GET", "/api/v1/contexts/%ED%A0%80", {}),
        ("GET", "/api/v1/contexts", {"params": {"cursor": "x\u0000"}}),
        ("POST", "/api/v1/search", {"json": {"embedding": [1, 0, 0], "context_id": "a\u0000"}}),
        ("POST", f"/api/v1/contexts/{cid}/fork", {"json": {"name": "a\u0000"}}),
        ("GET", f"/api/v1/contexts/{cid}/window", {"params": {"query": "a\u0000b"}}),
        ("POST", f"/api/v1/contexts/{cid}/window", {"json": {"query": "a\u0000b"}}),
        (
            "POST",
            f"/api/v1/contexts/{cid}/messages",
            {
                "json": {"messages": [{"role": "user", "content": "x"}]},
                "headers": {**h, "Idempotency-Key": "k\u0000"},
            },
        ),
    ]:
        kwargs.setdefault("headers", h)
        r = api.client.request(method, url, **kwargs)
        assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
