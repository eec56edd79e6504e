"""The local embedder's tokenizer gives BERT's uncased ids (checked against Hugging Face's
BertTokenizer output for the same texts) from the shipped vocabulary."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from adapters.embedders.wordpiece import VOCAB_PATH, VOCAB_SHA256, WordPiece


@pytest.fixture(scope="module")
def tokenizer() -> WordPiece:
    return WordPiece.bert_uncased(max_length=256)


def test_the_shipped_vocabulary_is_bert_base_uncased() -> None:
    raw = gzip.decompress(VOCAB_PATH.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == VOCAB_SHA256
    vocab = raw.decode().splitlines()
    assert len(vocab) == 30_522 and vocab[100:103] == ["[UNK]", "[CLS]", "[SEP]"]


# Ids from Hugging Face tokenizers 0.23 with all-MiniLM-L6-v2's tokenizer.json.
@pytest.mark.parametrize(("text", "ids"), [
    ("Hello, World!", [101, 7592, 1010, 2088, 999, 102]),
    ("The staging DB password is Falcon-7731.",
     [101, 1996, 15308, 16962, 20786, 2003, 11684, 1011, 6255, 21486, 1012, 102]),
    ("naïve café résumé ÅNGSTRÖM", [101, 15743, 7668, 13746, 17076, 15687, 102]),
    ("日本語のテキスト and 中文",
     [101, 1864, 1876, 1950, 1671, 30239, 30227, 30233, 30240, 1998, 1746, 1861, 102]),
    ("emoji 🎉🚀 test", [101, 7861, 29147, 2072, 100, 3231, 102]),
    ("tab\tnew\nline\r\x00nul \ufffd", [101, 21628, 2047, 2240, 16371, 2140, 102]),
    ("x" * 150, [101, 100, 102]),
    ("", [101, 102]),
])  # fmt: skip
def test_ids_match_bert(tokenizer: WordPiece, text: str, ids: list[int]) -> None:
    assert tokenizer.encode(text) == ids


def test_long_texts_are_cut_to_max_length() -> None:
    short = WordPiece.bert_uncased(max_length=8)
    ids = short.encode("one two three four five six seven eight nine ten")
    assert len(ids) == 8 and ids[0] == 101 and ids[-1] == 102
    assert ids == [101, 2028, 2048, 2093, 2176, 2274, 2416, 102]
