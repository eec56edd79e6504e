"""BM25 in SQL, computing domain.lexical's formula over the terms the domain split.

PostgreSQL's text parser never sees an entry's text: each entry's tsvector is written
here from `domain.lexical.terms`, each distinct term with positions 1..tf (so tf reads
back as the count of positions), and a query is a tsquery of literal lexemes. Each row
stores its term count and the running count and term total of the eligible entries
before it; the context keeps both totals through its head. So the corpus (n and avgdl
over the eligible entries after compacted_through) is two row reads, whatever the
history's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.postgres import queries
from adapters.postgres.queries import ELIGIBLE as _ELIGIBLE
from adapters.postgres.rows import entry_columns
from domain import lexical

_V_ENTRY = entry_columns("v")
# "1", "1,2", ...: an entry's positions for a term it holds tf times.
_POSITIONS = [",".join(map(str, range(1, tf + 1))) for tf in range(lexical.MAX_TERM_FREQUENCY + 1)]


def search_vector(words: Sequence[str]) -> str:
    """An entry's terms (`domain.lexical.terms`) as a tsvector literal.

    Quoted, so the literal's parser takes each term as it is (a word-character run holds
    no quote, backslash or space to escape).
    """
    counts = lexical.term_frequencies(words)
    return " ".join(f"'{term}':{_POSITIONS[tf]}" for term, tf in counts.items())


def query_params(text: str) -> dict[str, Any] | None:
    """RANK_BM25's query parameters for a query text, or None when it has no term."""
    wanted = lexical.query_terms(text)
    if not wanted:
        return None
    return {"query": " | ".join(f"'{t}'" for t in wanted), "terms": wanted}


def _f(value: float) -> str:
    # The domain's constant, spelled so PostgreSQL reads back the very same float8.
    return f"{value!r}::float8"


# BM25 over the eligible active entries holding any query term, best first, ties to the
# newer version. Parameters: tenant, id, at (None: the head), through (compacted_through
# as of then), k, query (the tsquery of query_params) and terms (its lexemes, in
# domain.lexical.query_terms' order). The corpus figures are running sums: the context's
# through its head, the row at `at`'s through an older version, less the row at
# `through`'s. `hits` is one row per (entry, query term it holds) in each segment of the
# lineage, found through the GIN index when the query is selective; the k best are then
# read whole by primary key (a lateral lookup kept apart by LIMIT 1: while the table has
# no statistics yet, a join was planned as a scan of the context per row).
RANK_BM25 = f"""
WITH {queries.CONTEXT_UPTO},
{queries.SEGMENTS},
{queries.ROW_AT},
upto AS MATERIALIZED (
    SELECT CASE WHEN c.upto = c.head_version THEN c.eligible_count
                ELSE (SELECT r.eligible_count_before
                             + CASE WHEN {queries.eligible("r")} THEN 1 ELSE 0 END
                      FROM row_at r) END AS n,
           CASE WHEN c.upto = c.head_version THEN c.eligible_terms
                ELSE (SELECT r.eligible_terms_before
                             + CASE WHEN {queries.eligible("r")} THEN r.term_count ELSE 0 END
                      FROM row_at r) END AS terms
    FROM c
),
compacted AS MATERIALIZED (
    -- The eligible entries through compacted_through, read off the row at that version.
    SELECT v.eligible_count_before + CASE WHEN {_ELIGIBLE} THEN 1 ELSE 0 END AS n,
           v.eligible_terms_before + CASE WHEN {_ELIGIBLE} THEN v.term_count ELSE 0 END
               AS terms
    FROM segs s, context_versions v
    WHERE %(through)s > s.lo AND %(through)s <= s.hi
      AND v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.version = %(through)s
),
corpus AS MATERIALIZED (
    SELECT a.n::float8 AS n,
           -- domain.lexical.average_length
           CASE WHEN a.terms > 0 THEN a.terms::float8 / a.n::float8 ELSE {_f(1.0)} END
               AS avgdl
    FROM (SELECT u.n - COALESCE(x.n, 0) AS n, u.terms - COALESCE(x.terms, 0) AS terms
          FROM upto u LEFT JOIN compacted x ON true) a
),
hits AS MATERIALIZED (
    -- tf: the term's positions (domain.lexical.term_frequencies, written by search_vector).
    -- Every position is stored with the default weight D: marking the query's terms A and
    -- keeping only those unnests the few terms wanted, not the whole entry (3x faster).
    -- The eligible entries of each segment after `through` that match: lexical_matches
    -- (migration 010) finds them through the GIN index, which row-level security would
    -- keep a plain query from using; it keeps to the transaction's tenant, as the
    -- policies do.
    SELECT v.src, v.version, v.term_count::float8 AS dl, t.lexeme AS term,
           cardinality(t.positions)::float8 AS tf
    FROM lexical_matches(
             (SELECT array_agg(src) FROM segs),
             (SELECT array_agg(GREATEST(lo, %(through)s)) FROM segs),
             (SELECT array_agg(hi) FROM segs),
             %(query)s::tsquery) v,
         unnest(ts_filter(setweight(v.search, 'A', %(terms)s::text[]), '{{a}}')) AS t
),
df AS (
    SELECT term, count(*)::float8 AS df FROM hits GROUP BY term
),
top AS (
    -- domain.lexical.idf inside domain.lexical.term_score, summed in query_terms' order
    -- (code point order: the C collation's) so that both stores add the same floats.
    SELECT h.src, h.version,
           sum(ln((s.n - df.df + {_f(0.5)}) / (df.df + {_f(0.5)}) + {_f(1.0)})
               * h.tf * {_f(lexical.K1 + 1)}
               / (h.tf + {_f(lexical.K1)}
                  * ({_f(1 - lexical.B)} + {_f(lexical.B)} * h.dl / s.avgdl))
               ORDER BY h.term COLLATE "C") AS score
    FROM hits h JOIN df ON df.term = h.term, corpus s
    GROUP BY h.src, h.version
    -- domain.lexical.best_first
    ORDER BY score DESC, h.version DESC
    LIMIT %(k)s
)
SELECT e.*, top.score
FROM top, LATERAL (
    SELECT {_V_ENTRY} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = top.src AND v.version = top.version
    LIMIT 1
) e
ORDER BY top.score DESC, top.version DESC
"""
