"""Hostile input, on both stores: always a 4xx problem+json, and nothing stored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from tests.http.conftest import Api

PROBLEM = "application/problem+json"
DEEP = ("[" * 328 + "]" * 328).encode()


def _problem(r: Any, status: int, slug: str) -> dict[str, Any]:
    assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), r.text
    body: dict[str, Any] = r.json()
    assert body["type"] == f"/api/problems/{slug}"
    return body


def _routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, from its route table."""
    found = []
    for route in api.client.app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.route_handler_map:
                if method not in ("HEAD", "OPTIONS"):
                    found.append((method, route.path))
    return sorted(set(found))


def _concrete(path: str, cid: str) -> str:
    path = path.replace("{context_id:str}", cid).replace("{version:int}", "1")
    return re.sub(r"\{[a-z_]+:str\}", "bad-request", re.sub(r"\{[a-z_]+:path\}", "x", path))


def _state(api: Api, cid: str) -> tuple[Any, ...]:
    ctx = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()
    listed = api.client.get("/api/v1/contexts", headers=api.headers).json()["items"]
    return ctx["head_version"], ctx["metadata"], ctx["policy"], ctx["name"], len(listed)


def _body_routes(api: Api, cid: str) -> list[tuple[str, str]]:
    return [
        (m, _concrete(p, cid))
        for m, p in _routes(api)
        if m in ("POST", "PATCH") and p.startswith("/api/v1")
    ]


def test_deep_json_is_401_without_a_key_and_400_with_one_on_every_body_route(api: Api) -> None:
    cid = api.new_context(name="kept")
    api.append(cid, {"role": "user", "content": "hello"})
    before = _state(api, cid)
    routes = _body_routes(api, cid)
    assert len(routes) >= 6
    json_type = {"content-type": "application/json"}
    for method, path in routes:
        r = api.client.request(method, path, content=DEEP, headers=json_type)
        _problem(r, 401, "unauthorized")
        r = api.client.request(method, path, content=DEEP, headers={**api.headers, **json_type})
        assert _problem(r, 400, "json-too-deep")["max_depth"] >= 1
    assert _state(api, cid) == before


def test_depth_within_the_limit_still_reaches_the_parser(api: Api) -> None:
    # 60 levels of metadata: past the parser, refused by the metadata's own depth rule.
    deep = {"a": 1}
    for _ in range(59):
        deep = {"a": deep}
    r = api.client.post("/api/v1/contexts", json={"metadata": deep}, headers=api.headers)
    _problem(r, 422, "invalid-input")


@pytest.mark.parametrize(
    "raw",
    [
        rb'"x\ud800"',  # a high surrogate at the end of a string (was 400 "truncated")
        rb'"\ud800 tail"',
        rb'"\udc00"',  # a low surrogate alone
        rb'"\ud800\ud800"',
        rb'"\udbff\\udc00"',  # the escaped backslash makes the second half plain text
    ],
)
def test_a_lone_surrogate_anywhere_is_422(api: Api, raw: bytes) -> None:
    cid = api.new_context()
    before = _state(api, cid)
    json_type = {**api.headers, "content-type": "application/json"}
    bodies = [
        (f"/api/v1/contexts/{cid}/messages",
         b'{"messages":[{"role":"user","content":' + raw + b"}]}"),
        (f"/api/v1/contexts/{cid}/messages",
         b'{"messages":[{"role":"user","content":"x","metadata":{' + raw + b":1}}]}"),
        ("/api/v1/contexts", b'{"name":' + raw + b"}"),
        ("/api/v1/contexts", b'{"metadata":{"k":[' + raw + b"]}}"),
        (f"/api/v1/contexts/{cid}/fork", b'{"name":' + raw + b"}"),
    ]  # fmt: skip
    for path, body in bodies:
        _problem(api.client.post(path, content=body, headers=json_type), 422, "invalid-input")
    patch = b'{"policy":{"encoding":' + raw + b"}}"
    r = api.client.patch(f"/api/v1/contexts/{cid}", content=patch, headers=json_type)
    _problem(r, 422, "invalid-input")
    assert _state(api, cid) == before


def test_a_valid_surrogate_pair_is_kept(api: Api) -> None:
    cid = api.new_context()
    body = b'{"messages":[{"role":"user","content":"smile \\ud83d\\ude00"}]}'
    headers = {**api.headers, "content-type": "application/json"}
    r = api.client.post(f"/api/v1/contexts/{cid}/messages", content=body, headers=headers)
    assert r.status_code == 201, r.text
    items = api.client.get(f"/api/v1/contexts/{cid}/messages", headers=api.headers).json()
    assert items["items"][0]["content"] == "smile \U0001f600"


@pytest.mark.parametrize("bad", ["a\u0000b", "\u0000"])
def test_a_nul_in_policy_text_is_refused_on_create_and_patch(api: Api, bad: str) -> None:
    listed = api.client.get("/api/v1/contexts", headers=api.headers).json()["items"]
    r = api.client.post("/api/v1/contexts", json={"policy": {"encoding": bad}}, headers=api.headers)
    _problem(r, 422, "invalid-input")
    assert api.client.get("/api/v1/contexts", headers=api.headers).json()["items"] == listed
    cid = api.new_context()
    before = _state(api, cid)
    r = api.client.patch(
        f"/api/v1/contexts/{cid}", json={"policy": {"encoding": bad}}, headers=api.headers
    )
    _problem(r, 422, "invalid-input")
    assert _state(api, cid) == before
    assert api.append(cid, {"role": "user", "content": "still fine"}).status_code == 201


def test_a_nul_in_a_metadata_key_or_value_is_refused(api: Api) -> None:
    cid = api.new_context()
    before = _state(api, cid)
    for metadata in ({"a\u0000": 1}, {"a": {"b": ["x\u0000"]}}):
        r = api.client.patch(f"/api/v1/contexts/{cid}", json={"metadata": metadata},
                             headers=api.headers)  # fmt: skip
        _problem(r, 422, "invalid-input")
        r = api.append(cid, {"role": "user", "content": "x", "metadata": metadata})
        _problem(r, 422, "invalid-input")
    assert _state(api, cid) == before


def test_an_unknown_query_parameter_is_400_naming_it_on_every_route(api: Api) -> None:
    cid = api.new_context(name="kept")
    api.append(cid, {"role": "user", "content": "hello"})
    before = _state(api, cid)
    routes = _routes(api)
    assert len(routes) >= 15
    for method, path in routes:
        url = _concrete(path, cid) + "?budget=10&bogus=1&zz=2"
        if "budget" in path:
            url = _concrete(path, cid) + "?bogus=1&zz=2"
        body_json = {} if method in ("POST", "PATCH") else None
        r = api.client.request(method, url, headers=api.headers, json=body_json)
        body = _problem(r, 400, "unknown-parameter")
        unknown = body["parameters"]
        assert "bogus" in unknown and "zz" in unknown, (method, path, unknown)
        assert "bogus" in body["detail"]
    assert _state(api, cid) == before


def test_known_query_parameters_still_pass(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, {"role": "user", "content": "hello"})
    for url in (
        f"/api/v1/contexts/{cid}/window?budget=50&reserve=1",
        f"/api/v1/contexts/{cid}/window?query=hello&relevant_share=0.5&neighbours=1",
        f"/api/v1/contexts/{cid}/messages?after=0&limit=5&at=1&include_embeddings=true",
        f"/api/v1/contexts/{cid}/versions/1?after=0&limit=5",
        "/api/v1/contexts?limit=2",
    ):
        assert api.client.get(url, headers=api.headers).status_code == 200, url


def test_fork_and_compact_bodies_are_optional_in_openapi_as_on_the_wire(api: Api) -> None:
    spec = api.client.get("/api/openapi.json").json()
    for op in ("fork", "compact"):
        body = spec["paths"][f"/api/v1/contexts/{{context_id}}/{op}"]["post"]["requestBody"]
        assert body["required"] is False
    append = spec["paths"]["/api/v1/contexts/{context_id}/messages"]["post"]
    assert append["requestBody"]["required"] is True
    cid = api.new_context()
    api.append(cid, {"role": "user", "content": "hello"})
    assert api.client.post(f"/api/v1/contexts/{cid}/fork", headers=api.headers).status_code == 201
