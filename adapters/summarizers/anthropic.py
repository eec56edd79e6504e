"""A chat model over the Anthropic Messages API, `POST {base}/v1/messages`."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.summarizers.model import Answer, SummaryFailed, post_json, request_body

DEFAULT_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


class AnthropicMessages:
    """ChatModel: one message per answer, at temperature 0; `extra` is merged into every
    request body (a null removes a field)."""

    def __init__(
        self,
        *,
        model: str,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        extra: dict[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        self._endpoint = url.rstrip("/") + "/v1/messages"
        self._model = model
        self._extra = dict(extra or {})
        self._client = httpx.Client(headers=headers, transport=transport)

    @property
    def name(self) -> str:
        """`anthropic:MODEL`."""
        return f"anthropic:{self._model}"

    def answer(self, *, system: str, user: str, max_tokens: int, timeout: float) -> Answer:
        """The text blocks of the reply, joined; `cut` when it stopped at max_tokens."""
        body = request_body({
            "model": self._model,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "max_tokens": max_tokens,
            "temperature": 0,
        }, self._extra)  # fmt: skip
        data = post_json(self._client, self._endpoint, body, timeout=timeout)
        try:
            blocks = data["content"]
            text = "".join(b["text"] for b in blocks if b.get("type") == "text")
        except (KeyError, TypeError, AttributeError) as exc:
            raise SummaryFailed(f"{self._endpoint} answered no content: {exc!r}") from None
        return Answer(text=text, cut=data.get("stop_reason") == "max_tokens")

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
