"""A chat model over any OpenAI-compatible `POST {base}/chat/completions` endpoint.

Works with OpenAI, Azure-style proxies, vLLM, Ollama, llama.cpp's server, LiteLLM...:
whatever answers `{"choices": [{"message": {"content": "..."}, "finish_reason": "..."}]}`.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.summarizers.model import Answer, SummaryFailed, post_json, request_body


class OpenAIChat:
    """ChatModel: one chat completion per answer, at temperature 0.

    `extra` is merged into every request body (a null removes a field): reasoning models
    take `max_completion_tokens` instead of `max_tokens` and only the default temperature.
    """

    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str | None = None,
        extra: dict[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._endpoint = url.rstrip("/") + "/chat/completions"
        self._model = model
        self._extra = dict(extra or {})
        self._client = httpx.Client(headers=headers, transport=transport)

    @property
    def name(self) -> str:
        """`openai:MODEL`."""
        return f"openai:{self._model}"

    def answer(self, *, system: str, user: str, max_tokens: int, timeout: float) -> Answer:
        """The first choice's message text; `cut` when it stopped at max_tokens."""
        body = request_body({
            "model": self._model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "max_tokens": max_tokens,
            "temperature": 0,
        }, self._extra)  # fmt: skip
        data = post_json(self._client, self._endpoint, body, timeout=timeout)
        try:
            choice = data["choices"][0]
            text = _text(choice["message"]["content"])
        except (KeyError, IndexError, TypeError) as exc:
            raise SummaryFailed(f"{self._endpoint} answered no message: {exc!r}") from None
        return Answer(text=text, cut=choice.get("finish_reason") == "length")

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _text(content: Any) -> str:
    # A string, or (some servers) a list of parts; a refusal or tool call has no text.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p["text"] for p in content if p.get("type") == "text")
    raise SummaryFailed(f"the message holds no text ({type(content).__name__})")
