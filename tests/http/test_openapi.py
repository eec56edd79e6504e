"""The OpenAPI document matches the app: every route exists, every error is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from entrypoints.compose import build_engine
from entrypoints.http.app import create_app
from tests.http.conftest import SETTINGS, Api

PROBLEM = "application/problem+json"
MISSING = "00000000-0000-4000-8000-000000000000"
METHODS = ("get", "post", "patch", "put", "delete")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _url(path: str, context_id: str) -> str:
    return (
        path.replace("{context_id}", context_id)
        .replace("{version}", "0")
        .replace("{slug}", "version-conflict")
    )


# A body that passes validation, so the request reaches the engine (and its 404).
_VALID: dict[str, Any] = {"messages": {"messages": [{"role": "user", "content": "x"}]}}


def _assert_problem(r: Any, status: int, op: dict[str, Any], why: str) -> None:
    assert r.status_code == status, (why, r.status_code, r.text)
    assert r.headers["content-type"] == PROBLEM, why
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("/api/problems/")
    assert body["title"]
    assert str(status) in op["responses"], f"{why}: {status} is not documented"


def test_every_documented_route_exists(api: Api) -> None:
    spec = api.client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    cid = api.new_context()
    ops = _operations(spec)
    assert len(ops) >= 17
    for path, method, _ in ops:
        r = api.client.request(method.upper(), _url(path, cid), headers=api.headers, json={})
        # Whatever the answer, it is not "no such route" nor "no such method".
        assert r.status_code != 405, (method, path)
        if r.status_code == 404:
            assert r.json()["type"] != "/api/problems/not-found", (method, path)


def test_documented_errors_are_problem_json(api: Api) -> None:
    spec = api.client.get("/api/openapi.json").json()
    for path, method, op in _operations(spec):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                kinds = response["description"].split("; ")
                assert len(kinds) == len(set(kinds)), (method, path, status)


def test_each_route_answers_bad_input_with_a_documented_problem(api: Api) -> None:
    spec = api.client.get("/api/openapi.json").json()
    cid = api.new_context()
    for path, method, op in _operations(spec):
        verb, why = method.upper(), f"{method} {path}"
        if path.startswith("/api/v1"):
            r = api.client.request(verb, _url(path, cid), json={})
            _assert_problem(r, 401, op, why)
        if "{context_id}" in path:
            body = _VALID.get(path.rsplit("/", 1)[-1], {})
            r = api.client.request(verb, _url(path, MISSING), headers=api.headers, json=body)
            _assert_problem(r, 404, op, why)
        if "requestBody" in op:
            url = _url(path, cid)
            r = api.client.request(verb, url, headers=api.headers, json={"bogus": 1})
            _assert_problem(r, 422, op, why)
            h = {**api.headers, "content-type": "application/json"}
            _assert_problem(api.client.request(verb, url, headers=h, content=b"{"), 400, op, why)
            h = {**api.headers, "content-type": "text/plain"}
            _assert_problem(api.client.request(verb, url, headers=h, content=b"x"), 415, op, why)
            big = b'{"k": "' + b"x" * 70_000 + b'"}'
            h = {**api.headers, "content-type": "application/json"}
            _assert_problem(api.client.request(verb, url, headers=h, content=big), 413, op, why)
        for param in [p for p in op.get("parameters", []) if p["in"] == "query"]:
            name, url = param["name"], _url(path, cid)
            # Numbers refuse "-7.5x"; free text (a window's query) refuses being too long.
            longest = param["schema"].get("maxLength")
            bad = "-7.5x" if longest is None else "x" * (longest + 1)
            r = api.client.request(verb, url, headers=api.headers, params={name: bad}, json={})
            _assert_problem(r, 422, op, f"{why}?{name}")


@pytest.mark.parametrize("slug", ["version-conflict", "unauthorized", "internal-error"])
def test_problem_types_resolve(api: Api, slug: str) -> None:
    r = api.client.get(f"/api/problems/{slug}")
    assert r.status_code == 200
    assert r.json()["type"] == f"/api/problems/{slug}"


def test_docs_page_needs_no_network(api: Api) -> None:
    r = api.client.get("/api/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "/api/v1/contexts/{context_id}/window" in page
    # Nothing is fetched from elsewhere: no scripts, styles or fonts from other hosts.
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    assert "<script src" not in page


def test_unexpected_errors_are_500_problems_without_internals(api: Api) -> None:
    # A store that breaks the way a lost database does, behind a real app and real keys.
    engine = build_engine(_Failing(), SETTINGS)
    app = create_app(engine=engine, keys=api.keys, settings=SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/contexts", headers=api.headers)
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/api/problems/internal-error"
    assert "secret" not in r.text
    assert "Boom" not in r.text


class Boom(RuntimeError):
    pass


class _Failing:
    def __getattr__(self, name: str) -> Any:
        def fail(*_a: object, **_k: object) -> object:
            raise Boom("secret connection string postgres://user:pw@host")

        return fail
