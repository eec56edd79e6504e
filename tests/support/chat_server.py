"""A chat model on 127.0.0.1 that speaks both OpenAI chat completions and Anthropic
Messages, scripted per test: what it says, how it stops, how it fails, how long it waits."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


def prompt_of(body: dict[str, Any]) -> tuple[str, str]:
    """The system prompt and the user message of a request in either API."""
    if "system" in body:
        return body["system"], body["messages"][0]["content"]
    system, user = body["messages"]
    return system["content"], user["content"]


class ChatServer(ThreadingHTTPServer):
    """Answers `reply(body)` (default: "summary"), after `delay` seconds, with `status`;
    `raw` replaces the whole body; `cut` says it stopped at max_tokens."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.reply: Callable[[dict[str, Any]], str] = lambda body: "summary"
        self.status = 200
        self.raw: bytes | None = None
        self.cut = False
        self.delay = 0.0
        self.release = threading.Event()  # ends every delay at teardown

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, body: dict[str, Any]) -> bytes:
        text = self.reply(body)
        if path == ANTHROPIC_PATH:
            return json.dumps({
                "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
                "content": [{"type": "text", "text": text}],
                "stop_reason": "max_tokens" if self.cut else "end_turn",
                "usage": {"input_tokens": 10, "output_tokens": 10},
            }).encode()  # fmt: skip
        return json.dumps({
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "length" if self.cut else "stop"}],
        }).encode()  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), **body})
        if self.server.delay:
            self.server.release.wait(self.server.delay)
        if self.path not in (OPENAI_PATH, ANTHROPIC_PATH):
            payload, status = b'{"error": "not found"}', 404
        else:
            payload = self.server.raw or self.server.answer(self.path, body)
            status = self.server.status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a timeout test)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """A running ChatServer, shut down (delays released) afterwards."""
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
