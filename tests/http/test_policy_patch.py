"""PATCH of a policy changes only the fields sent, even when PATCHes race."""

from __future__ import annotations

import threading
from typing import Any

from tests.http.conftest import Api

ROUNDS = 30


def test_concurrent_patches_of_different_policy_fields_both_survive(api: Api) -> None:
    cid = api.new_context(policy={"budget": 4000})
    writers: dict[str, list[Any]] = {
        "reserve": list(range(ROUNDS)),
        "keep_recent": list(range(100, 100 + ROUNDS)),
    }
    start = threading.Barrier(len(writers))
    failed: list[str] = []

    def patch(field: str, values: list[Any]) -> None:
        start.wait()
        for value in values:
            r = api.client.patch(
                f"/api/v1/contexts/{cid}", json={"policy": {field: value}}, headers=api.headers
            )
            if r.status_code != 200:
                failed.append(r.text)

    threads = [threading.Thread(target=patch, args=item) for item in writers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    policy = api.client.get(f"/api/v1/contexts/{cid}", headers=api.headers).json()["policy"]
    assert (policy["budget"], policy["reserve"], policy["keep_recent"]) == (
        4000,
        ROUNDS - 1,
        100 + ROUNDS - 1,
    )
