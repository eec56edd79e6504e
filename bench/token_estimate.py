"""How far the token estimate (4 UTF-8 bytes a token) is from exact counts.

Encodings the counter does not know (Claude's, Gemini's, a typo) are estimated; no exact
count exists for those, so the estimate is measured where one does: against cl100k_base
and o200k_base, on five kinds of text an agent's history holds, each text one message-sized
piece:

- `prose`: the paragraphs of this repository's docs/ and README (tables left out);
- `code`: this repository's Python source (domain, ports, adapters, entrypoints), in pieces
  of 30 lines;
- `chat`: the message texts of an eval conversation (bench/_conversations.py);
- `json`: another conversation as OpenAI chat messages (tool calls included), 4 to a piece;
- `non_english`: the messages of bench/_multilingual.py, 15 languages and 5 scripts.

For each kind and encoding, the mean and 95th percentile of |estimate - exact| / exact,
and, over all texts, the mean signed error (the bias: negative means the estimate is low,
so a window built from it can run over a real budget). The baseline is the other common
rule of thumb, 4 characters a token, on the same texts.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

from adapters.tokens import OfflineTokenCounter, estimate
from bench._common import emit, sized
from bench._conversations import conversation
from bench._multilingual import MESSAGES
from domain.model import Message

ROOT = Path(__file__).resolve().parents[1]
ENCODINGS = ("cl100k_base", "o200k_base")
PER_KIND = sized(10_000, 6)  # at most this many texts of each kind
CODE_LINES = 30


def prose() -> Iterator[str]:
    """Paragraphs of the docs, without tables and code fences."""
    for path in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            text = block.strip()
            if len(text) > 40 and not text.startswith(("|", "```", "#")):
                yield text


def code() -> Iterator[str]:
    """The project's Python source in pieces of CODE_LINES lines."""
    for folder in ("domain", "ports", "adapters", "entrypoints"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for start in range(0, len(lines), CODE_LINES):
                piece = "\n".join(lines[start : start + CODE_LINES])
                if piece.strip():
                    yield piece


def chat() -> Iterator[str]:
    """The texts of one eval conversation's messages."""
    for m in conversation(11, size=400).messages:
        if isinstance(m.content, str) and m.content:
            yield m.content


def as_json() -> Iterator[str]:
    """Another conversation as OpenAI chat messages, four to a piece."""
    wire = [_openai(m) for m in conversation(12, size=400).messages]
    for start in range(0, len(wire), 4):
        yield json.dumps(wire[start : start + 4], ensure_ascii=False)


def non_english() -> Iterator[str]:
    """Every message of bench/_multilingual.py."""
    for messages in MESSAGES.values():
        yield from messages


KINDS: dict[str, Callable[[], Iterator[str]]] = {
    "prose": prose, "code": code, "chat": chat, "json": as_json, "non_english": non_english,
}  # fmt: skip


def _openai(m: Message) -> dict[str, object]:
    out: dict[str, object] = {"role": m.role.value, "content": m.content or None}
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]  # fmt: skip
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    return out


def by_chars(text: str) -> int:
    """The baseline: 4 characters a token."""
    return -(-len(text) // 4)


def errors(
    texts: list[str], exact: list[int], rule: Callable[[str], int]
) -> tuple[list[float], list[float]]:
    """Relative errors (absolute, and signed) of `rule` against the exact counts."""
    signed = [(rule(t) - n) / n for t, n in zip(texts, exact, strict=True)]
    return [abs(e) for e in signed], signed


def mean(values: list[float]) -> float:
    """The arithmetic mean."""
    return sum(values) / len(values)


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    """Print the estimate's error per kind and encoding, and over all texts."""
    counter = OfflineTokenCounter()
    corpus = {kind: list(itertools.islice(make(), PER_KIND)) for kind, make in KINDS.items()}
    for encoding in ENCODINGS:
        pooled: dict[str, tuple[list[float], list[float], list[float]]] = {}
        for kind, texts in corpus.items():
            exact = [c.tokens for c in counter.count(texts, encoding=encoding)]
            ours, signed = errors(texts, exact, estimate)
            pooled[kind] = (ours, errors(texts, exact, by_chars)[0], signed)
        every = [pooled[k] for k in corpus]
        pooled["all"] = ([e for p in every for e in p[0]], [e for p in every for e in p[1]],
                         [e for p in every for e in p[2]])  # fmt: skip
        for kind, (ours, chars, _) in pooled.items():
            for stat, fn in (("mean", mean), ("p95", p95)):
                emit(f"token_estimate_error_{stat}_{kind}_{encoding}", len(ours), fn(ours),
                     "relative error", baseline="4 chars a token",
                     baseline_value=fn(chars))  # fmt: skip
        signed = pooled["all"][2]
        emit(f"token_estimate_bias_all_{encoding}", len(signed), mean(signed),
             "signed relative error")  # fmt: skip


if __name__ == "__main__":
    main()
