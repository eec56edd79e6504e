"""BM25 over one context's eligible entries, through an inverted index (no history scan).

The terms, the corpus and the formula are domain.lexical's; this file only finds them.
"""

from __future__ import annotations

import bisect

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
        for term, tf in lexical.term_frequencies(words).items():
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
        wanted = lexical.query_terms(query)
        lo = bisect.bisect_right(self._versions, after)
        n = len(self._versions) - lo
        if not wanted or n == 0 or k < 1:
            return []
        avgdl = lexical.average_length(
            terms_total=self._length_sums[-1] - self._length_sums[lo], n=n
        )
        scores: dict[int, float] = {}
        # In query_terms' order: each entry's terms are added in the order SQL adds them.
        for term in wanted:
            found = self._postings.get(term)
            if found is None:
                continue
            versions, tfs = found
            start = bisect.bisect_right(versions, after)
            idf = lexical.idf(n=n, df=len(versions) - start)
            for i in range(start, len(versions)):
                v = versions[i]
                score = lexical.term_score(idf=idf, tf=tfs[i], dl=self._lengths[v], avgdl=avgdl)
                scores[v] = scores[v] + score if v in scores else score
        return lexical.best_first(scores, k)
