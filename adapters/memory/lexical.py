"""BM25 over one context's eligible entries, through an inverted index (no history scan)."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable

K1 = 1.2
B = 0.75

_WORD = re.compile(r"\w+")


def terms(text: str) -> list[str]:
    """The lexical terms of a text: lower-cased word characters, as the spec fixes."""
    return _WORD.findall(text.lower())


class LexicalIndex:
    """Postings per term, in version order, so "documents after version v" is a bisect."""

    def __init__(self) -> None:
        self._postings: dict[str, tuple[list[int], list[int]]] = {}
        self._versions: list[int] = []
        self._lengths: dict[int, int] = {}
        # _length_sums[i] = total length of the first i documents.
        self._length_sums: list[int] = [0]

    def add(self, version: int, text: str) -> None:
        """Index one eligible entry (versions must ascend)."""
        words = terms(text)
        for term, tf in Counter(words).items():
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
        wanted = set(terms(query))
        lo = bisect.bisect_right(self._versions, after)
        n = len(self._versions) - lo
        if not wanted or n == 0 or k < 1:
            return []
        avgdl = (self._length_sums[-1] - self._length_sums[lo]) / n or 1.0
        scores: dict[int, float] = {}
        for term in sorted(wanted):
            for version, tf, idf in self._matches(term, after, n):
                norm = tf + K1 * (1 - B + B * self._lengths[version] / avgdl)
                scores[version] = scores.get(version, 0.0) + idf * tf * (K1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))
        return ranked[:k]

    def _matches(self, term: str, after: int, n: int) -> Iterable[tuple[int, int, float]]:
        found = self._postings.get(term)
        if found is None:
            return ()
        versions, tfs = found
        start = bisect.bisect_right(versions, after)
        df = len(versions) - start
        idf = math.log((n - df + 0.5) / (df + 0.5) + 1)
        return ((versions[i], tfs[i], idf) for i in range(start, len(versions)))
