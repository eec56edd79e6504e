"""BM25 over one context's eligible entries, through an inverted index (no history scan:
each term costs its newest holders, at most domain.lexical.POSTINGS_PER_TERM).

The terms, the corpus and the formula are domain.lexical's; this file only finds them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from domain import lexical


class LexicalIndex:
    """Postings per term, in version order, so "documents after version v" is a bisect."""

    def __init__(self) -> None:
        self._postings: dict[str, tuple[list[int], list[int]]] = {}
        self._versions: list[int] = []
        self._lengths: dict[int, int] = {}
        # _length_sums[i] = total term count of the first i documents.
        self._length_sums: list[int] = [0]

    def add(self, version: int, words: list[str]) -> None:
        """Index one eligible entry by its terms (versions must ascend)."""
        for term, tf in lexical.postings(words).items():
            versions, tfs = self._postings.setdefault(term, ([], []))
            versions.append(version)
            tfs.append(tf)
        self._versions.append(version)
        self._lengths[version] = len(words)
        self._length_sums.append(self._length_sums[-1] + len(words))

    def top(self, query: str, *, k: int, after: int) -> list[tuple[int, float]]:
        """The k best (version, score) among documents with version > after, best first.

        Ties go to the newer version. Documents matching no query term are left out.
        """
        return top_over([(self, after, _NO_END)], query, k=k)

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """Indexes [i, j) of the documents with lo < version <= hi."""
        i = bisect.bisect_right(self._versions, lo)
        return i, max(i, bisect.bisect_right(self._versions, hi))


_NO_END = 2**63
_K1, _B = lexical.K1, lexical.B
_K1_PLUS_1, _ONE_LESS_B = lexical.K1 + 1, 1 - lexical.B


def top_over(
    parts: Sequence[tuple[LexicalIndex, int, int]], query: str, *, k: int
) -> list[tuple[int, float]]:
    """BM25's k best (version, score) over one corpus made of several indexes' documents
    in (lo, hi] each (a lineage's segments), best first, ties to the newer version."""
    wanted = lexical.query_terms(query)
    spans = [(index, *index.span(lo, hi), lo, hi) for index, lo, hi in parts]
    n = sum(j - i for _, i, j, _, _ in spans)
    if not wanted or n == 0 or k < 1:
        return []
    terms_total = sum(x._length_sums[j] - x._length_sums[i] for x, i, j, _, _ in spans)
    avgdl = lexical.average_length(terms_total=terms_total, n=n)
    postings: list[list[tuple[LexicalIndex, list[int], list[int], int, int]]] = []
    for term in wanted:
        found = []
        for index, _, _, lo, hi in spans:
            got = index._postings.get(term)
            if got is not None:
                versions, tfs = got
                a, b = bisect.bisect_right(versions, lo), bisect.bisect_right(versions, hi)
                if a < b:
                    found.append((index, versions, tfs, a, b))
        postings.append(found)
    scores: dict[int, float] = {}
    # In query_terms' order: each entry's terms are added in the order SQL adds them.
    for found in postings:
        df = sum(b - a for _, _, _, a, b in found)
        if df == 0:
            continue
        idf = lexical.idf(n=n, df=df)
        left = lexical.POSTINGS_PER_TERM  # the term's newest holders only (domain.lexical)
        for index, versions, tfs, a, b in reversed(found):  # segments ascend: newest last
            lo = max(a, b - left)
            lengths = index._lengths
            tail = versions[lo:b]
            # domain.lexical.term_score, the same operations in the same order (so the same
            # floats), spelled out: this loop is the ranking's whole cost.
            for v, tf in zip(tail, tfs[lo:b], strict=True):
                score = idf * tf * _K1_PLUS_1 / (tf + _K1 * (_ONE_LESS_B + _B * lengths[v] / avgdl))
                scores[v] = scores[v] + score if v in scores else score
            left -= b - a
            if left <= 0:
                break
    return lexical.best_first(scores, k)
