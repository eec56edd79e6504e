"""The SQL the Postgres store runs. Every statement names its tenant, and history queries
name their context too, so each stays an index seek and the schema stays shard-friendly."""

from __future__ import annotations

from adapters.postgres.rows import CONTEXT_COLUMNS, NO_ENTRY, after_entry, entry_columns

_V_ENTRY = entry_columns("v")
# domain.history.is_eligible, restated once for every statement here and in lexical.py
# (is_pin is stored as EntryDraft.is_pin computes it).
ELIGIBLE = "v.kind = 'message' AND NOT v.is_pin"

CREATE_CONTEXT = f"""
INSERT INTO contexts (tenant_id, id, name, metadata, policy, parent_id, fork_version,
                      created_at, updated_at)
VALUES (%(tenant)s, %(id)s, %(name)s, %(metadata)s::json, %(policy)s::json, %(parent_id)s,
        %(fork_version)s, %(created_at)s, %(updated_at)s)
ON CONFLICT DO NOTHING
RETURNING {CONTEXT_COLUMNS}
"""

GET_CONTEXT = f"""
SELECT {CONTEXT_COLUMNS} FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
"""

LIST_CONTEXTS = f"""
SELECT {CONTEXT_COLUMNS} FROM contexts
WHERE tenant_id = %(tenant)s AND deleted_at IS NULL
  AND (%(after_at)s::timestamptz IS NULL OR (created_at, id) > (%(after_at)s, %(after_id)s))
ORDER BY created_at, id
LIMIT %(limit)s
"""

# An update locks the context row first, so the policy it merges (in Python, by the
# domain's rules) is the one it replaces: concurrent updates of different policy fields
# both survive. Name and metadata are kept as stored unless given (json is verbatim).
LOCK_CONTEXT_POLICY = """
SELECT policy FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
FOR UPDATE
"""

UPDATE_CONTEXT = f"""
UPDATE contexts
SET name = COALESCE(%(name)s, name),
    metadata = COALESCE(%(metadata)s::json, metadata),
    policy = %(policy)s::json,
    updated_at = %(now)s
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
RETURNING {CONTEXT_COLUMNS}
"""

DELETE_CONTEXT = """
UPDATE contexts SET deleted_at = %(now)s, updated_at = %(now)s
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
RETURNING id
"""

TENANT_USAGE = """
SELECT entries, bytes FROM tenant_usage WHERE tenant_id = %(tenant)s
"""

LIST_FORKS = f"""
SELECT {CONTEXT_COLUMNS} FROM contexts
WHERE tenant_id = %(tenant)s AND parent_id = %(id)s AND deleted_at IS NULL
ORDER BY created_at, id
"""

# One statement appends a batch: it checks the idempotency key, bumps the head and the
# totals under the context's row lock (so concurrent appenders get gapless versions), inserts
# the batch with its versions and running eligible sums (tokens, entries, terms: the
# window's tail and the lexical corpus start from them), and records the key. The rows come
# as one JSON array (one parameter costs far less to send than an array per column);
# embeddings travel apart, as vectors. When nothing was written, the 'state' and 'replay'
# rows tell why (a policy or discourse scope other than the basis the batch was drafted
# under is one reason: ports.version_log.DraftBasis). Autocommit makes it atomic.
APPEND = """
WITH idem AS (
    SELECT fingerprint, first_version, last_version, head_version, token_count
    FROM idempotency_keys
    WHERE tenant_id = %(tenant)s AND context_id = %(id)s AND key = %(key)s
),
ctx AS (
    UPDATE contexts
    SET head_version = head_version + %(n)s,
        token_total = token_total + %(tokens)s,
        eligible_total = eligible_total + %(eligible)s,
        eligible_count = eligible_count + %(eligible_count)s,
        eligible_terms = eligible_terms + %(eligible_terms)s,
        compacted_through = CASE WHEN %(summary_at)s::integer IS NULL THEN compacted_through
                                 ELSE %(summary_through)s END,
        summary_version = CASE WHEN %(summary_at)s::integer IS NULL THEN summary_version
                               ELSE head_version + %(summary_at)s END,
        -- The newest message's scope after it (domain.discourse); summaries leave it.
        scope = COALESCE(%(scope)s::text[], scope),
        updated_at = %(now)s
    WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
      AND (%(expected)s::integer IS NULL OR head_version = %(expected)s::integer)
      AND (%(policy)s::jsonb IS NULL
           OR (policy::jsonb = %(policy)s::jsonb AND scope = %(basis_scope)s::text[]))
      AND NOT EXISTS (SELECT 1 FROM idem)
    RETURNING head_version - %(n)s AS base, eligible_total - %(eligible)s AS ebase,
              eligible_count - %(eligible_count)s AS cbase,
              eligible_terms - %(eligible_terms)s AS tbase, head_version
),
ins AS (
    INSERT INTO context_versions (
        tenant_id, context_id, version, kind, role, content, name, tool_calls, tool_call_id,
        metadata, token_count, token_source, pinned, is_pin, eligible_before, covers_first,
        covers_last, embedding, search, term_count, eligible_count_before,
        eligible_terms_before, scope, created_at)
    SELECT %(tenant)s, %(id)s, ctx.base + r.ord, r.kind, r.role, r.content::json, r.name,
           r.tool_calls::json, r.tool_call_id, r.metadata::json, r.token_count,
           r.token_source, r.pinned, r.is_pin, ctx.ebase + r.ebefore, r.covers_first,
           r.covers_last, (%(embeddings)s::vector[])[r.ord],
           -- The domain's terms as written (adapters/postgres/lexical.search_vector): no
           -- text parser splits them again.
           r.search::tsvector, r.term_count, ctx.cbase + r.cbefore, ctx.tbase + r.tbefore,
           r.scope, %(now)s
    FROM ctx, json_to_recordset(%(rows)s::json) AS r(
        ord integer, kind text, role text, content text, name text, tool_calls text,
        tool_call_id text, metadata text, token_count integer, token_source text,
        pinned boolean, is_pin boolean, ebefore bigint, covers_first integer,
        covers_last integer, search text, term_count integer, cbefore integer,
        tbefore bigint, scope text[])
),
-- Quotas (migration 008): while one is on, the tenant's usage grows in the same statement,
-- and the row's CHECK fails the whole statement when the limits would be passed.
usage AS (
    INSERT INTO tenant_usage (tenant_id, entries, bytes, max_entries, max_bytes)
    SELECT %(tenant)s, %(quota_entries)s, %(quota_bytes)s, %(max_entries)s, %(max_bytes)s
    FROM ctx WHERE %(quota)s
    ON CONFLICT (tenant_id) DO UPDATE
    SET entries = tenant_usage.entries + EXCLUDED.entries,
        bytes = tenant_usage.bytes + EXCLUDED.bytes,
        max_entries = EXCLUDED.max_entries,
        max_bytes = EXCLUDED.max_bytes
),
record AS (
    INSERT INTO idempotency_keys (tenant_id, context_id, key, fingerprint, first_version,
                                  last_version, head_version, token_count, created_at)
    SELECT %(tenant)s, %(id)s, %(key)s, %(fingerprint)s, ctx.base + 1, ctx.head_version,
           ctx.head_version, %(tokens)s, %(now)s
    FROM ctx WHERE %(key)s::text IS NOT NULL
)
SELECT 'appended' AS outcome, base + 1 AS first_version, head_version AS last_version,
       head_version, %(tokens)s::bigint AS token_count, NULL::text AS fingerprint,
       NULL::json AS policy, NULL::text[] AS scope, NULL::boolean AS basis_ok
FROM ctx
UNION ALL
SELECT 'replay', first_version, last_version, head_version, token_count, fingerprint, NULL,
       NULL, NULL
FROM idem
UNION ALL
SELECT 'state', NULL, NULL, head_version, NULL, NULL, policy, scope,
       %(policy)s::jsonb IS NULL
       OR (policy::jsonb = %(policy)s::jsonb AND scope = %(basis_scope)s::text[])
FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
"""

# The window in one statement, in one snapshot: the context's state row, then the rows of
# the window's candidates, each saying which it fills: 'pins', 'summary' (the newest) or
# 'tail'. Entry rows leave the state's columns NULL, and the state row the entry's.
_WINDOW_STATE = ("head_version", "compacted_through", "policy")
_STATE = ", ".join(f"c.{name}" for name in _WINDOW_STATE)
_NO_STATE = ", ".join("NULL" for _ in _WINDOW_STATE)
WINDOW_AT = after_entry(*_WINDOW_STATE, "fills")
WINDOW = f"""
WITH c AS MATERIALIZED (
    SELECT head_version, compacted_through, eligible_total, summary_version, policy
    FROM contexts
    WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
)
SELECT {NO_ENTRY}, {_STATE}, 'state' AS fills
FROM c
UNION ALL
-- The values of the context row are scalar subqueries, run-time parameters of the index
-- conditions (as a join, one was planned as a filter over the whole history): the plan
-- does not depend on them, and a prepared statement keeps a good generic plan.
(SELECT {_V_ENTRY}, {_NO_STATE}, 'pins' FROM context_versions v
 WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND v.is_pin
   AND v.version <= (SELECT head_version FROM c))
UNION ALL
(SELECT {_V_ENTRY}, {_NO_STATE}, 'summary' FROM context_versions v
 WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
   AND v.version = (SELECT summary_version FROM c))
UNION ALL
-- The tail: the suffix whose running eligible sum fits. An entry belongs when the suffix
-- it starts fits (eligible_before >= eligible_total - tail), a range of the partial index
-- context_versions_tail read from its top, so the cost follows the budget, never the
-- history. Unknown at plan time, a one-sided bound is priced as a third of the history
-- (a sequential scan); as a range (the upper end always holds: no eligible entry starts
-- past the total) it is priced as the few rows it is.
(SELECT {_V_ENTRY}, {_NO_STATE}, 'tail' FROM context_versions v
 WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND {ELIGIBLE}
   AND v.eligible_before BETWEEN (SELECT eligible_total FROM c) - %(tail)s::bigint
                             AND (SELECT eligible_total FROM c)
   -- `+ 0` keeps the primary key out of the tail's plan: a version range would read the
   -- whole history.
   AND v.version + 0 > (SELECT compacted_through FROM c)
   AND v.version + 0 <= (SELECT head_version FROM c)
 ORDER BY v.eligible_before DESC
 -- As many rows as tokens: enough because every entry holds at least one token (a CHECK
 -- of the schema).
 LIMIT %(tail)s)
"""

# A page of entries as of a version, with the head (a row of NULLs and the head when the
# page is empty; no row when the context is missing).
READ_ENTRIES_AT = after_entry("head")
READ_ENTRIES = f"""
SELECT e.*, c.head_version AS head
FROM contexts c
LEFT JOIN LATERAL (
    SELECT {_V_ENTRY} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
      AND v.version > %(after)s
      AND v.version <= LEAST(COALESCE(%(at)s::integer, c.head_version), c.head_version)
    ORDER BY v.version
    LIMIT %(limit)s
) e ON true
WHERE c.tenant_id = %(tenant)s AND c.id = %(id)s AND c.deleted_at IS NULL
"""

READ_VERSIONS = f"""
SELECT {_V_ENTRY} FROM context_versions v
WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND v.version = ANY(%(versions)s)
ORDER BY v.version
"""

CONTEXT_STATE = """
SELECT head_version, compacted_through FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
"""

# Every ranking (these two, and lexical.py's) selects the entry, then its score.
RANKED_AT = after_entry("score")

# Exact cosine over the context's eligible active entries. Ordering by the score (not by
# the distance operator) keeps the HNSW index out: a narrow filter must not lose results.
RANK_SEMANTIC = f"""
SELECT {_V_ENTRY}, COALESCE(NULLIF(1 - (v.embedding <=> %(q)s), 'NaN'), 0) AS score
FROM context_versions v
WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND {ELIGIBLE}
  AND v.version > %(through)s AND v.embedding IS NOT NULL
ORDER BY score DESC, v.version DESC
LIMIT %(k)s
"""

# The same ranking through the HNSW index, for long histories: an iterative scan (relaxed
# order) walks the index until k rows of this context pass the filters, and the outer
# ORDER BY restores the exact ranking's order among them. Fewer than k rows means the
# scan gave up (hnsw.max_scan_tuples): the caller then runs RANK_SEMANTIC.
RANK_SEMANTIC_INDEXED = f"""
WITH relaxed AS MATERIALIZED (
    SELECT {_V_ENTRY}, COALESCE(NULLIF(1 - (v.embedding <=> %(q)s), 'NaN'), 0) AS score
    FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND {ELIGIBLE}
      AND v.version > %(through)s AND v.embedding IS NOT NULL
    ORDER BY v.embedding <=> %(q)s
    LIMIT %(k)s
)
SELECT * FROM relaxed
ORDER BY score DESC, version DESC
"""

# Lexical ranking (BM25) is adapters/postgres/lexical.py's.


# A fork copies rows inside the database: nothing travels through Python. The child's
# totals and compaction state are those of the parent at version N: domain.history.state_at
# restated over the stored running sums (the contract suite holds the two together).
FORK = f"""
WITH parent AS (
    SELECT id, metadata, policy FROM contexts
    WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
      AND %(version)s BETWEEN 0 AND head_version
),
at_n AS (
    SELECT
        (SELECT COALESCE(sum(v.token_count), 0) FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version <= %(version)s) AS token_total,
        (SELECT v.eligible_before + CASE WHEN {ELIGIBLE} THEN v.token_count ELSE 0 END
         FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version = %(version)s) AS eligible_total,
        -- The lexical corpus's running totals (adapters/postgres/lexical.py) at N.
        (SELECT v.eligible_count_before + CASE WHEN {ELIGIBLE} THEN 1 ELSE 0 END
         FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version = %(version)s) AS eligible_count,
        (SELECT v.eligible_terms_before + CASE WHEN {ELIGIBLE} THEN v.term_count ELSE 0 END
         FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version = %(version)s) AS eligible_terms,
        (SELECT v.version FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version <= %(version)s AND v.kind = 'summary'
         ORDER BY v.version DESC LIMIT 1) AS summary_version,
        -- The discourse scope after N: the newest message's at or before it (a summary's
        -- row holds none, as it changes none).
        (SELECT v.scope FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s
           AND v.version <= %(version)s AND v.scope IS NOT NULL
         ORDER BY v.version DESC LIMIT 1) AS scope
),
child AS (
    INSERT INTO contexts (tenant_id, id, name, metadata, policy, parent_id, fork_version,
                          head_version, token_total, eligible_total, eligible_count,
                          eligible_terms, compacted_through, summary_version, scope,
                          created_at, updated_at)
    SELECT %(tenant)s, %(new_id)s, %(name)s, p.metadata, p.policy, p.id, %(version)s,
           %(version)s, a.token_total, COALESCE(a.eligible_total, 0),
           COALESCE(a.eligible_count, 0), COALESCE(a.eligible_terms, 0),
           COALESCE((SELECT s.covers_last FROM context_versions s
                     WHERE s.tenant_id = %(tenant)s AND s.context_id = %(id)s
                       AND s.version = a.summary_version), 0),
           a.summary_version, COALESCE(a.scope, '{{}}'), %(now)s, %(now)s
    FROM parent p, at_n a
    ON CONFLICT DO NOTHING
    RETURNING {CONTEXT_COLUMNS}
),
copied AS (
    INSERT INTO context_versions (
        tenant_id, context_id, version, kind, role, content, name, tool_calls, tool_call_id,
        metadata, token_count, token_source, pinned, is_pin, eligible_before, covers_first,
        covers_last, embedding, search, term_count, eligible_count_before,
        eligible_terms_before, scope, created_at)
    SELECT v.tenant_id, %(new_id)s, v.version, v.kind, v.role, v.content, v.name,
           v.tool_calls, v.tool_call_id, v.metadata, v.token_count, v.token_source, v.pinned,
           v.is_pin, v.eligible_before, v.covers_first, v.covers_last, v.embedding, v.search,
           v.term_count, v.eligible_count_before, v.eligible_terms_before, v.scope,
           v.created_at
    FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND v.version <= %(version)s
      AND EXISTS (SELECT 1 FROM child)
)
SELECT * FROM child
"""

# Similarity search within the tenant's live contexts. With iterative index scans
# (relaxed order) the HNSW scan keeps going until k rows pass the filters; the outer
# ORDER BY restores exact order among them. Both searches select the entry, its context
# and the cosine distance.
HIT_AT = after_entry("context_id", "distance")
SEARCH = f"""
WITH relaxed AS MATERIALIZED (
    SELECT {_V_ENTRY}, v.context_id, v.embedding <=> %(q)s AS distance
    FROM context_versions v
    JOIN contexts c ON c.tenant_id = v.tenant_id AND c.id = v.context_id
    WHERE v.tenant_id = %(tenant)s AND c.deleted_at IS NULL AND v.embedding IS NOT NULL
      AND (%(id)s::text IS NULL OR v.context_id = %(id)s::text)
    ORDER BY v.embedding <=> %(q)s
    LIMIT %(k)s
)
SELECT * FROM relaxed ORDER BY distance + 0, context_id, version
"""

# The exact answer, for when the index scan gave up before finding k rows (its scan is
# capped by hnsw.max_scan_tuples): `+ 0` stops the planner from using the HNSW index.
SEARCH_EXACT = f"""
SELECT {_V_ENTRY}, v.context_id, v.embedding <=> %(q)s AS distance
FROM context_versions v
JOIN contexts c ON c.tenant_id = v.tenant_id AND c.id = v.context_id
WHERE v.tenant_id = %(tenant)s AND c.deleted_at IS NULL AND v.embedding IS NOT NULL
  AND (%(id)s::text IS NULL OR v.context_id = %(id)s::text)
ORDER BY (v.embedding <=> %(q)s) + 0, v.context_id, v.version
LIMIT %(k)s
"""
