"""Model summaries over HTTP, on both stores: POST /compact and an automatic compaction
record which summarizer wrote them, and the record reads back from the store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine, Store
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from entrypoints.summarizing import summarizers_from_env
from ports.keys import ApiKeyStore
from tests.http.conftest import DIMENSION, SETTINGS
from tests.support.chat_server import ChatServer, chat_server


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as s:
        s.reply = lambda body: "Kestrel staging port: 8443\nKestrel owner: Farid"
        yield s


@pytest.fixture
def client(
    adapters: tuple[Store, ApiKeyStore], server: ChatServer, clock: Any
) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    store, keys = adapters
    tokens = OfflineTokenCounter()
    env = {"KATA_SUMMARIZER": "anthropic", "KATA_SUMMARIZER_URL": server.anthropic_url,
           "KATA_SUMMARIZER_MODEL": "claude-test"}  # fmt: skip
    made = summarizers_from_env(env, tokens=tokens)
    engine = Engine(store=store, tokens=tokens, summarizer=made.on_request,
                    auto_summarizer=made.on_append, clock=clock, ids=_Ids(),
                    dimension=DIMENSION)  # fmt: skip
    _, secret = issue_key(keys, tenant_id=f"t-{uuid.uuid4()}", clock=clock)
    with TestClient(create_app(engine=engine, keys=keys, settings=SETTINGS)) as c:
        yield c, {"Authorization": f"Bearer {secret}"}


class _Ids:
    def new_id(self) -> str:
        return str(uuid.uuid4())


def _messages(n: int) -> list[dict[str, Any]]:
    return [{"role": "user", "content": f"note {i}", "token_count": 10} for i in range(n)]


def test_compact_and_auto_compaction_record_the_model(
    client: tuple[TestClient[Any], dict[str, str]], server: ChatServer
) -> None:
    http, auth = client
    policy = {"budget": 200, "threshold": 0.5, "keep_recent": 2, "summary_tokens": 50}
    cid = http.post("/api/v1/contexts", json={"policy": policy}, headers=auth).json()["id"]
    base = f"/api/v1/contexts/{cid}"
    http.post(f"{base}/messages", json={"messages": _messages(6)}, headers=auth)
    r = http.post(f"{base}/compact", json={"force": True}, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["metadata"]["compaction"]["summarizer"] == "anthropic:claude-test"

    server.status = 500  # the next, automatic, compaction falls back
    http.patch(base, json={"policy": {"enabled": True}}, headers=auth)
    http.post(f"{base}/messages", json={"messages": _messages(9)}, headers=auth)
    page = http.get(f"{base}/messages", params={"limit": 100}, headers=auth).json()
    records = [m["metadata"]["compaction"] for m in page["items"] if m["kind"] == "summary"]
    assert [r["summarizer"] for r in records] == ["anthropic:claude-test", "extractive"]
    assert "answered 500" in records[1]["fallback"]
    summary = next(m for m in page["items"] if m["kind"] == "summary")
    assert summary["content"] == "Kestrel staging port: 8443\nKestrel owner: Farid"
