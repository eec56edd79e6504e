"""The query-aware window over HTTP: `query` on GET, `query` and `query_embedding` on POST."""

from __future__ import annotations

from typing import Any

from entrypoints.engine import MAX_QUERY_CHARS
from tests.http.conftest import Api


def chat(
    n: int, facts: dict[int, str] | None = None, vectors: dict[int, list[float]] | None = None
) -> list[dict[str, Any]]:
    """n messages of 10 tokens, user/assistant in turn; some with chosen text or vector."""
    facts, vectors = facts or {}, vectors or {}
    return [
        {
            "role": "user" if v % 2 else "assistant",
            "content": facts.get(v, f"plain chatter number {v}"),
            "token_count": 10,
            "embedding": vectors.get(v, [0.0, 1.0, 0.0]),
        }
        for v in range(1, n + 1)
    ]


def shape(body: dict[str, Any]) -> list[tuple[int, str]]:
    return [(e["entry"]["version"], e["reason"]) for e in body["entries"]]


def window(api: Api, cid: str, method: str, **params: Any) -> Any:
    url = f"/api/v1/contexts/{cid}/window"
    if method == "GET":
        return api.client.get(url, params=params, headers=api.headers)
    return api.client.post(url, json=params, headers=api.headers)


def test_get_and_post_with_a_query_keep_the_entry_that_answers_it(api: Api) -> None:
    cid = api.new_context()
    r = api.append(cid, *chat(60, facts={7: "the vault code is zebra-4471, remember it"}))
    assert r.status_code == 201, r.text
    got = window(api, cid, "GET", budget=100, query="what was the vault code?")
    assert got.status_code == 200, got.text
    body = got.json()
    assert shape(body) == [(7, "relevant")] + [(v, "recent") for v in range(52, 61)]
    assert body["entries"][0]["score"] > 0
    assert all("score" not in e for e in body["entries"][1:])
    posted = window(api, cid, "POST", budget=100, query="what was the vault code?")
    assert posted.status_code == 200, posted.text
    assert posted.json() == body


def test_post_with_a_query_vector(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, *chat(60, vectors={9: [1.0, 0.0, 0.0], 13: [0.8, 0.6, 0.0]}))
    got = window(api, cid, "POST", budget=100, query_embedding=[1.0, 0.0, 0.0])
    assert got.status_code == 200, got.text
    relevant = [e for e in got.json()["entries"] if e["reason"] == "relevant"]
    # Every other entry ties at cosine 0: only the two closest have a sure order.
    scores = {e["entry"]["version"]: e["score"] for e in relevant}
    assert {9, 13} <= set(scores) and scores[9] > scores[13]


def test_without_a_query_the_window_is_unchanged(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, *chat(30))
    plain = window(api, cid, "GET", budget=100).json()
    assert shape(plain) == [(v, "recent") for v in range(21, 31)]
    assert window(api, cid, "POST", budget=100, query=None).json() == plain
    assert window(api, cid, "GET", budget=100, query="").json() == plain


def test_query_errors_are_problems(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, *chat(4))
    wrong = window(api, cid, "POST", budget=100, query_embedding=[1.0, 0.0])
    assert wrong.status_code == 422
    assert wrong.json()["type"].endswith("/dimension-mismatch")
    too_long = window(api, cid, "POST", budget=100, query="x" * (MAX_QUERY_CHARS + 1))
    assert too_long.status_code in (400, 422)
    nul = window(api, cid, "POST", budget=100, query="nul \x00 inside")
    assert nul.status_code == 422
    typo = window(api, cid, "POST", budget=100, querry="vault")
    assert typo.status_code in (400, 422)
    other = api.client.get(f"/api/v1/contexts/{cid}/window", params={"query": "x"},
                           headers=api.other)
    assert other.status_code == 404


def test_share_and_neighbours_per_request_on_get_and_post(api: Api) -> None:
    cid = api.new_context()
    api.append(cid, *chat(60, facts={7: "the vault code is zebra-4471, remember it"}))
    ask = {"budget": 100, "query": "what was the vault code?"}
    for method in ("GET", "POST"):
        near = window(api, cid, method, **ask, neighbours=1)
        assert near.status_code == 200, near.text
        assert shape(near.json())[:3] == [(6, "relevant"), (7, "relevant"), (8, "relevant")]
        none = window(api, cid, method, **ask, relevant_share=0)
        assert none.status_code == 200, none.text
        assert all(reason == "recent" for _, reason in shape(none.json()))
        for bad in ({"relevant_share": 1.5}, {"neighbours": 5}, {"neighbours": -1}):
            refused = window(api, cid, method, **ask, **bad)
            assert refused.status_code in (400, 422), refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
