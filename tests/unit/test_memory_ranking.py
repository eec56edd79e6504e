"""The memory adapter's rankings: BM25 exactly as specified, ties to the newer version."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from adapters.memory.lexical import LexicalIndex
from adapters.memory.store import MemoryStore
from domain.lexical import K1, B
from domain.model import Context, EntryDraft, Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _store_with(texts: list[str], embeddings: list[tuple[float, ...] | None]) -> MemoryStore:
    store = MemoryStore()
    store.create_context(Context(id="c", tenant_id="t", name="", created_at=NOW, updated_at=NOW))
    drafts = [
        EntryDraft(role=Role.USER, content=t, token_count=1, embedding=e)
        for t, e in zip(texts, embeddings, strict=True)
    ]
    store.append("t", "c", drafts, now=NOW)
    return store


def test_bm25_scores_match_the_formula() -> None:
    docs = ["apple pie", "apple apple tart", "plum"]
    index = LexicalIndex()
    for v, d in enumerate(docs, start=1):
        index.add(v, d.split())
    got = dict(index.top("apple", k=10, after=0))
    n, avgdl, df = 3, (2 + 3 + 1) / 3, 2
    idf = math.log((n - df + 0.5) / (df + 0.5) + 1)

    def score(tf: int, dl: int) -> float:
        return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))

    assert got == pytest.approx({1: score(1, 2), 2: score(2, 3)})
    # Only documents after `after` count, for N, df and the average length alike.
    later = dict(index.top("apple", k=10, after=1))
    n2, avgdl2, df2 = 2, (3 + 1) / 2, 1
    idf2 = math.log((n2 - df2 + 0.5) / (df2 + 0.5) + 1)
    assert later == pytest.approx({2: idf2 * 2 * (K1 + 1) / (2 + K1 * (1 - B + B * 3 / avgdl2))})


def test_lexical_ties_go_to_the_newer_version() -> None:
    store = _store_with(["twin words", "other", "twin words"], [None, None, None])
    got = store.rank_relevant("t", "c", text="twin", embedding=None, k=5)
    assert [r.version for r in got.lexical] == [3, 1]
    assert got.lexical[0].score == got.lexical[1].score


def test_semantic_ties_go_to_the_newer_version() -> None:
    store = _store_with(["a", "b", "c"], [(1.0, 0.0), (0.0, 1.0), (2.0, 0.0)])
    got = store.rank_relevant("t", "c", text=None, embedding=(1.0, 0.0), k=2)
    assert [r.version for r in got.semantic] == [3, 1]
    assert [r.score for r in got.semantic] == pytest.approx([1.0, 1.0])
