"""A scripted chat model on 127.0.0.1 for benchmarks: deterministic, no weights, no network.

It answers OpenAI chat completions (`POST /v1/chat/completions`) and Anthropic Messages
(`POST /v1/messages`) like a model asked for a compaction summary by
adapters/summarizers/prompt.py, by a fixed rule rather than by understanding:

- it reads the previous summary's lines and the sentences of the new messages (a tool
  result's lines count as sentences; tool calls are skipped);
- it keeps a sentence that states a value: one holding a digit (scored 2) or a name, a
  capitalised word that does not start the sentence (scored 1); it drops the rest;
- it writes the kept lines, higher scores first and, within a score, previous lines before
  new ones, in order, until about max_tokens (4 characters a token).

It resolves no reference ("this project") and rewords nothing: a lower bound on what a
real model given the same prompt might keep, and a check of the LLM path end to end.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_BLOCK = re.compile(r"^\[v\d+\] [^:]*: ?", re.MULTILINE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NAME = re.compile(r"\s[A-Z][\w-]+")


def _between(text: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", text, re.DOTALL)
    return match.group(1) if match else ""


def _score(sentence: str) -> int:
    if any(c.isdigit() for c in sentence):
        return 2
    return 1 if _NAME.search(sentence) else 0


def summary(user: str, max_tokens: int) -> str:
    """The scripted model's summary for the prompt's user message."""
    previous = [ln.strip() for ln in _between(user, "previous_summary").splitlines()]
    texts = _BLOCK.split(_between(user, "messages"))
    new = []
    for text in texts:
        body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("  calls "))
        new.extend(s.strip() for s in _SENTENCE.split(body))
    seen: set[str] = set()
    candidates = []
    for order, line in enumerate(previous + new):
        if line and line not in seen and _score(line) > 0:
            seen.add(line)
            candidates.append((-_score(line), order, line))
    out, used = [], 0
    for _, _, line in sorted(candidates):
        cost = -(-len(line) // 4) + 1
        if used + cost > max_tokens:
            break
        out.append(line)
        used += cost
    return "\n".join(out)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cap = int(body.get("max_tokens") or body.get("max_completion_tokens") or 512)
        if self.path.endswith("/v1/messages"):
            text = summary(body["messages"][0]["content"], cap)
            reply = {"type": "message", "role": "assistant", "stop_reason": "end_turn",
                     "content": [{"type": "text", "text": text}]}  # fmt: skip
        else:
            text = summary(body["messages"][-1]["content"], cap)
            reply = {"choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": text}}]}  # fmt: skip
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def scripted_model() -> Iterator[str]:
    """The scripted model's base URL (`{url}/v1` for OpenAI clients), while it runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
