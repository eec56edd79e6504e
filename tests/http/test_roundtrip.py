"""Properties over HTTP: what a client appends is what it reads back, and windows fit."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.http.conftest import Api

# Text any store keeps: no NUL, no lone surrogates (those answer 422, tested elsewhere).
storable = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=60
)
json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | storable
metadata = st.dictionaries(
    storable,
    st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3), max_leaves=6),
    max_size=4,
)
message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system"]),
        "content": storable,
        "metadata": metadata,
        "pinned": st.booleans(),
    },
    optional={"token_count": st.integers(1, 500), "name": storable},
)
per_example = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)


@per_example
@given(batch=st.lists(message, min_size=1, max_size=6))
def test_appended_messages_read_back_unchanged(api: Api, batch: list[dict[str, Any]]) -> None:
    cid = api.new_context()
    assert api.append(cid, *batch).status_code == 201
    items = api.client.get(f"/api/v1/contexts/{cid}/messages", headers=api.headers).json()["items"]
    assert [i["version"] for i in items] == list(range(1, len(batch) + 1))
    for sent, got in zip(batch, items, strict=True):
        assert got["role"] == sent["role"]
        assert got["content"] == sent["content"]
        assert got["metadata"] == sent["metadata"]
        assert got["pinned"] == sent["pinned"]
        assert got.get("name") == sent.get("name")
        if "token_count" in sent:
            assert got["token_count"] == sent["token_count"]


@per_example
@given(
    counts=st.lists(st.integers(1, 60), min_size=1, max_size=30),
    budget=st.integers(1, 400),
    reserve_share=st.floats(0, 0.9),
)
def test_windows_fit_the_budget_and_keep_order(
    api: Api, counts: list[int], budget: int, reserve_share: float
) -> None:
    cid = api.new_context()
    api.append(
        cid, *[{"role": "user", "content": f"m{i}", "token_count": n} for i, n in enumerate(counts)]
    )
    reserve = int(budget * reserve_share)
    r = api.client.get(
        f"/api/v1/contexts/{cid}/window",
        params={"budget": budget, "reserve": reserve},
        headers=api.headers,
    )
    assert r.status_code == 200, r.text
    w = r.json()
    versions = [x["entry"]["version"] for x in w["entries"]]
    assert versions == sorted(versions)
    assert w["tokens"] == sum(x["entry"]["token_count"] for x in w["entries"]) <= budget - reserve
    if versions:
        assert versions[-1] == len(counts)
    assert w["omitted_count"] == len(counts) - len(versions)
