"""The OpenAI-compatible embedder against a real HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters.embedders.openai import OpenAIEmbedder
from domain.errors import DimensionMismatch, EmbedderUnavailable


class FakeEmbeddingService(ThreadingHTTPServer):
    """A tiny embeddings endpoint: vector i of a text is (len(text), i, i, ...)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[str | None] = []
        self.dimension = 4
        self.status = 200
        self.raw: bytes | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeEmbeddingService

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        self.server.headers_seen.append(self.headers.get("Authorization"))
        dim = body.get("dimensions", self.server.dimension)
        data = [
            {"object": "embedding", "index": i,
             "embedding": [float(len(text))] + [float(i)] * (dim - 1)}
            for i, text in enumerate(body["input"])
        ]
        # The spec does not promise input order: answer in reverse to prove we sort.
        payload = self.server.raw or json.dumps({"data": data[::-1]}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[FakeEmbeddingService]:
    server = FakeEmbeddingService()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def embedder(service: FakeEmbeddingService, **kw: Any) -> OpenAIEmbedder:
    options: dict[str, Any] = {"url": service.url, "model": "m", "dimension": 4, **kw}
    return OpenAIEmbedder(**options)


def test_vectors_come_back_in_input_order_in_batches(service: FakeEmbeddingService) -> None:
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = embedder(service, batch_size=2, api_key="sk-test").embed(texts)
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r["input"] for r in service.requests] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    assert {r["path"] for r in service.requests} == {"/v1/embeddings"}
    assert {r["model"] for r in service.requests} == {"m"}
    assert service.headers_seen == ["Bearer sk-test"] * 3
    assert all("dimensions" not in r for r in service.requests)


def test_no_texts_no_request(service: FakeEmbeddingService) -> None:
    assert embedder(service).embed([]) == []
    assert service.requests == []


def test_dimensions_sent_only_when_asked(service: FakeEmbeddingService) -> None:
    service.dimension = 9
    vectors = embedder(service, send_dimensions=True).embed(["x"])
    assert service.requests[0]["dimensions"] == 4
    assert len(vectors[0]) == 4


def test_a_vector_of_another_dimension_is_a_clear_error(service: FakeEmbeddingService) -> None:
    service.dimension = 3
    with pytest.raises(DimensionMismatch, match="3 dimensions, this deployment uses 4"):
        embedder(service).embed(["x"])


def test_an_error_status_is_embedder_unavailable(service: FakeEmbeddingService) -> None:
    service.status = 503
    with pytest.raises(EmbedderUnavailable, match="answered 503"):
        embedder(service).embed(["x"])


def test_a_malformed_body_is_embedder_unavailable(service: FakeEmbeddingService) -> None:
    service.raw = b'{"data": [{"index": 0}]}'
    with pytest.raises(EmbedderUnavailable, match="malformed"):
        embedder(service).embed(["x"])


def test_a_missing_vector_is_embedder_unavailable(service: FakeEmbeddingService) -> None:
    service.raw = b'{"data": []}'
    with pytest.raises(EmbedderUnavailable, match="0 vectors for 1 texts"):
        embedder(service).embed(["x"])


def test_nobody_listening_is_embedder_unavailable(service: FakeEmbeddingService) -> None:
    url = service.url
    service.shutdown()
    service.server_close()
    with pytest.raises(EmbedderUnavailable, match="failed"):
        OpenAIEmbedder(url=url, model="m", dimension=4, timeout=2).embed(["x"])
