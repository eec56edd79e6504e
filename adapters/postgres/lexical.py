"""BM25 in SQL, computing domain.lexical's formula over the terms the domain split.

PostgreSQL's text parser never sees an entry's text: the append writes a posting per
(eligible entry, distinct term of `domain.lexical.terms`) into lexical_postings (migration
012), with tf, dl and the posting's rank among the term's holders. Each row stores its
term count and the running count and term total of the eligible entries before it; the
context keeps both totals through its head. So the corpus (n and avgdl over the eligible
entries after compacted_through) is two row reads, a term's df two index seeks, and its
newest holders one bounded range scan, whatever the history's length.
"""

from __future__ import annotations

from typing import Any

from adapters.postgres import queries
from adapters.postgres.queries import ELIGIBLE as _ELIGIBLE
from domain import lexical


def query_params(text: str) -> dict[str, Any] | None:
    """RANK_BM25's query parameters for a query text, or None when it has no term."""
    wanted = lexical.query_terms(text)
    if not wanted:
        return None
    return {"terms": wanted, "per_term": lexical.POSTINGS_PER_TERM}


def _f(value: float) -> str:
    # The domain's constant, spelled so PostgreSQL reads back the very same float8.
    return f"{value!r}::float8"


# BM25 over the eligible active entries holding any query term, best first, ties to the
# newer version. Parameters: tenant, id, at (None: the head), through and summaries
# (queries.THROUGH), k, terms (domain.lexical.query_terms, in its order) and per_term
# (domain.lexical.POSTINGS_PER_TERM). The corpus figures are running sums: the context's
# through its head, the row at `at`'s through an older version, less the row at
# `through`'s. `hits` is one row per (entry, query term it holds) among each term's
# newest holders across the lineage's segments; the k best's places
# (domain.relevance.Ranked, queries.RANKED_COLUMNS) are then read by primary key (a
# lateral lookup kept apart by LIMIT 1: while the table has no statistics yet, a join was
# planned as a scan of the context per row).
RANK_BM25 = f"""
WITH {queries.CONTEXT_UPTO},
{queries.SEGMENTS},
{queries.THROUGH},
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
    FROM th, segs s, context_versions v
    WHERE th.through > s.lo AND th.through <= s.hi
      AND v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.version = th.through
),
corpus AS MATERIALIZED (
    SELECT a.n::float8 AS n,
           -- domain.lexical.average_length
           CASE WHEN a.terms > 0 THEN a.terms::float8 / a.n::float8 ELSE {_f(1.0)} END
               AS avgdl
    FROM (SELECT u.n - COALESCE(x.n, 0) AS n, u.terms - COALESCE(x.terms, 0) AS terms
          FROM upto u LEFT JOIN compacted x ON true) a
),
parts AS MATERIALIZED (
    -- Each segment's share of the corpus: its versions after `through`.
    SELECT s.src, GREATEST(s.lo, th.through) AS lo, s.hi FROM th, segs s WHERE s.hi > th.through
),
df AS MATERIALIZED (
    -- A term's holders in (lo, hi] of each part: nth (migration 012) at the newest posting
    -- through hi less that through lo, two index seeks.
    SELECT w.term, w.nth AS ord, sum(h.nth - COALESCE(l.nth, 0))::float8 AS df
    FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS w(term, nth) CROSS JOIN parts s
    CROSS JOIN LATERAL (
        SELECT p.nth FROM lexical_postings p
        WHERE p.tenant_id = %(tenant)s AND p.context_id = s.src AND p.term = w.term
          AND p.version <= s.hi
        ORDER BY p.version DESC LIMIT 1
    ) h
    LEFT JOIN LATERAL (
        SELECT p.nth FROM lexical_postings p
        WHERE p.tenant_id = %(tenant)s AND p.context_id = s.src AND p.term = w.term
          AND p.version <= s.lo
        ORDER BY p.version DESC LIMIT 1
    ) l ON true
    GROUP BY w.term, w.nth
    HAVING sum(h.nth - COALESCE(l.nth, 0)) > 0
),
weights AS MATERIALIZED (
    -- domain.lexical.idf, once per term.
    SELECT d.term, d.ord,
           ln((s.n - d.df + {_f(0.5)}) / (d.df + {_f(0.5)}) + {_f(1.0)}) AS idf
    FROM df d, corpus s
),
hits AS MATERIALIZED (
    -- The term's newest holders in the corpus, at most per_term
    -- (domain.lexical.POSTINGS_PER_TERM): a backward range scan per part.
    SELECT w.ord, w.idf, x.version, x.tf::float8 AS tf, x.dl::float8 AS dl
    FROM weights w CROSS JOIN LATERAL (
        SELECT y.* FROM parts s CROSS JOIN LATERAL (
            SELECT s.src, p.version, p.tf, p.dl FROM lexical_postings p
            WHERE p.tenant_id = %(tenant)s AND p.context_id = s.src AND p.term = w.term
              AND p.version > s.lo AND p.version <= s.hi
            ORDER BY p.version DESC LIMIT %(per_term)s
        ) y
        ORDER BY y.version DESC LIMIT %(per_term)s
    ) x
),
top AS (
    -- domain.lexical.term_score, summed in query_terms' order (its position in `terms`)
    -- so that both stores add the same floats. A version names one entry across the
    -- lineage's segments: its segment is found again below.
    SELECT h.version,
           sum(h.idf * h.tf * {_f(lexical.K1 + 1)}
               / (h.tf + {_f(lexical.K1)}
                  * ({_f(1 - lexical.B)} + {_f(lexical.B)} * h.dl / s.avgdl))
               ORDER BY h.ord) AS score
    FROM hits h, corpus s
    GROUP BY h.version
    -- domain.lexical.best_first
    ORDER BY score DESC, h.version DESC
    LIMIT %(k)s
)
SELECT p.*, {queries.group_end("p")} FROM (
SELECT e.version, top.score, e.token_count, e.grouped, {queries.group_start("e")}
FROM top, parts s, LATERAL (
    SELECT {queries.ranked_columns("v")} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.version = top.version
    LIMIT 1
) e
WHERE top.version > s.lo AND top.version <= s.hi
OFFSET 0) p
ORDER BY p.score DESC, p.version DESC
"""
