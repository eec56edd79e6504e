"""BM25 worked out from its definition in domain/lexical.py, by a scan of the whole history:
the plain model both stores' indexes are held to."""

from __future__ import annotations

from collections.abc import Sequence

from domain import history, lexical
from domain.model import Entry
from domain.tokens import message_text


def model_ranking(
    entries: Sequence[Entry], *, compacted_through: int, text: str, k: int
) -> list[tuple[int, float]]:
    """(version, score) best first, as domain.lexical's docstring defines the ranking."""
    corpus = {
        e.version: lexical.terms(message_text(e))
        for e in entries
        if history.is_eligible(e) and e.version > compacted_through
    }
    n = len(corpus)
    avgdl = lexical.average_length(terms_total=sum(map(len, corpus.values())), n=n)
    scores: dict[int, float] = {}
    for term in lexical.query_terms(text):
        holders = sorted((v for v, words in corpus.items() if term in words), reverse=True)
        weight = lexical.idf(n=n, df=len(holders))
        for v in holders[: lexical.POSTINGS_PER_TERM]:  # the term's newest holders
            words = corpus[v]
            tf = min(words.count(term), lexical.MAX_TERM_FREQUENCY)
            score = lexical.term_score(idf=weight, tf=tf, dl=len(words), avgdl=avgdl)
            scores[v] = scores.get(v, 0.0) + score
    return lexical.best_first(scores, k)
