"""An embedder over any OpenAI-compatible `POST {base}/embeddings` endpoint (httpx, sync).

Works with OpenAI, Azure-style proxies, vLLM, Ollama, llama.cpp's server, LiteLLM...:
whatever answers `{"data": [{"index": i, "embedding": [...]}, ...]}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from domain.errors import DimensionMismatch, EmbedderUnavailable

DEFAULT_BATCH = 128


class OpenAIEmbedder:
    """Vectors from an OpenAI-compatible service, `batch_size` texts per request.

    Every vector's length is checked against `dimension`, the deployment's, so a model
    that answers with another length fails loudly instead of corrupting the store.
    """

    def __init__(
        self,
        *,
        url: str,
        model: str,
        dimension: int,
        api_key: str | None = None,
        batch_size: int = DEFAULT_BATCH,
        timeout: float = 30.0,
        send_dimensions: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if dimension < 1 or batch_size < 1:
            raise ValueError("dimension and batch_size must be at least 1")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._endpoint = url.rstrip("/") + "/embeddings"
        self._model = model
        self._dimension = dimension
        self._batch = batch_size
        # Only models with shortened outputs (text-embedding-3-*) accept `dimensions`.
        self._send_dimensions = send_dimensions
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    @property
    def dimension(self) -> int:
        """The vector length this embedder produces."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, in requests of at most `batch_size` texts."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            out.extend(self._request(list(texts[start : start + self._batch])))
        return out

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _request(self, texts: list[str]) -> list[list[float]]:
        body: dict[str, Any] = {"model": self._model, "input": texts}
        if self._send_dimensions:
            body["dimensions"] = self._dimension
        try:
            response = self._client.post(self._endpoint, json=body)
        except httpx.HTTPError as exc:
            raise EmbedderUnavailable(f"embedder at {self._endpoint} failed: {exc}") from exc
        if response.status_code != 200:
            raise EmbedderUnavailable(
                f"embedder at {self._endpoint} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        vectors = _vectors(response, expected=len(texts))
        for v in vectors:
            if len(v) != self._dimension:
                raise DimensionMismatch(expected=self._dimension, got=len(v))
        return vectors


def _vectors(response: httpx.Response, *, expected: int) -> list[list[float]]:
    """The `data` items' embeddings in input order (the spec allows any order)."""
    try:
        data = response.json()["data"]
        items = sorted(data, key=lambda d: int(d["index"]))
        vectors = [[float(x) for x in d["embedding"]] for d in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbedderUnavailable(f"embedder answered a malformed body: {exc!r}") from exc
    if len(vectors) != expected:
        raise EmbedderUnavailable(f"embedder answered {len(vectors)} vectors for {expected} texts")
    return vectors
