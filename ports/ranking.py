"""The ranking port: a context's active entries ranked for a query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.relevance import RankBasis, RankQuery, Relevance
from domain.window import WindowCandidates


class Ranking(Protocol):
    """Ranks eligible active entries semantically and lexically."""

    def ranked_candidates(
        self,
        tenant_id: str,
        context_id: str,
        *,
        tail_tokens: int,
        query: RankQuery,
        at: int | None = None,
        summaries: bool = True,
    ) -> tuple[WindowCandidates, Relevance]:
        """A query window's reads at once: `window_candidates` (ports.window_source) and
        `rank_relevant` for `query`, both as of the same version and compaction state
        (the candidates' head_version and compacted_through). A store may send them as
        one round trip.

        Raises what window_candidates raises.
        """
        ...

    def rank_relevant(
        self,
        tenant_id: str,
        context_id: str,
        *,
        text: str | None,
        embedding: Sequence[float] | None,
        k: int,
        at: int | None = None,
        summaries: bool = True,
        basis: RankBasis | None = None,
    ) -> Relevance:
        """The top-k eligible active entries by cosine to `embedding` and by BM25 on
        `text` (domain.lexical); each ranking is empty when its query part is None. As
        of version `at` (the head when None): its entries, corpus and compaction state.
        With `summaries` false, entries a summary covers are ranked too. `basis`, when
        given, is that version and compaction state as the caller read them (a window's
        candidates): the store need not read them again."""
        ...
