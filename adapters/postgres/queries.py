"""The SQL the Postgres store runs. Every statement names its tenant, and history queries
name their context too, so each stays an index seek and the schema stays shard-friendly."""

from __future__ import annotations

from adapters.postgres.rows import CONTEXT_COLUMNS, NO_ENTRY, after_entry, entry_columns
from domain.relevance import TOOL_REACH

_V_ENTRY = entry_columns("v")
# domain.history.is_eligible, restated once for every statement here and in lexical.py
# (is_pin is stored as EntryDraft.is_pin computes it).
def eligible(table: str) -> str:
    """The predicate over `table`'s columns."""
    return f"{table}.kind = 'message' AND NOT {table}.is_pin"


ELIGIBLE = eligible("v")

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
# embeddings travel apart, as one binary vector[] (`%(...)b`: as text, psycopg wrote 1536
# floats a vector in Python, 13 of an append's 14 ms of client CPU for 10 such messages).
# When nothing was written, the 'state' and 'replay' rows tell why (a policy or discourse
# scope other than the basis the batch was drafted under is one reason:
# ports.version_log.DraftBasis). Autocommit makes it atomic.
_APPEND_WRITES = """
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
        -- A summary in the batch is in force after it; a revert marker puts the one it
        -- restores back in force (domain.compaction.restored_state).
        compacted_through = CASE WHEN %(restore)s THEN %(summary_through)s
                                 WHEN %(summary_at)s::integer IS NULL THEN compacted_through
                                 ELSE %(summary_through)s END,
        summary_version = CASE WHEN %(restore)s THEN %(restore_version)s::integer
                               WHEN %(summary_at)s::integer IS NULL THEN summary_version
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
        covers_last, embedding, term_count, eligible_count_before,
        eligible_terms_before, scope, created_at)
    SELECT %(tenant)s, %(id)s, ctx.base + r.ord, r.kind, r.role, r.content::json, r.name,
           r.tool_calls::json, r.tool_call_id, r.metadata::json, r.token_count,
           r.token_source, r.pinned, r.is_pin, ctx.ebase + r.ebefore, r.covers_first,
           r.covers_last, (%(embeddings)b::vector[])[r.ord],
           r.term_count, ctx.cbase + r.cbefore, ctx.tbase + r.tbefore,
           r.scope, %(now)s
    FROM ctx, json_to_recordset(%(rows)s::json) AS r(
        ord integer, kind text, role text, content text, name text, tool_calls text,
        tool_call_id text, metadata text, token_count integer, token_source text,
        pinned boolean, is_pin boolean, ebefore bigint, covers_first integer,
        covers_last integer, term_count integer, cbefore integer,
        tbefore bigint, scope text[])
),
-- The lexical postings (migration 012): the domain's terms as split in Python (no text
-- parser splits them again), one row per (eligible entry, distinct term). A term's count
-- is bumped under the context's lock and read back, so its new holders' nth follow on.
posting AS MATERIALIZED (
    SELECT p.term, p.ords, p.tfs, p.dls
    FROM ctx, json_to_recordset(%(postings)s::json) AS p(
        term text, ords integer[], tfs integer[], dls integer[])
),
counted AS (
    INSERT INTO lexical_terms AS t (tenant_id, context_id, term, df)
    SELECT %(tenant)s, %(id)s, p.term, cardinality(p.ords) FROM posting p
    ON CONFLICT (tenant_id, context_id, term) DO UPDATE SET df = t.df + EXCLUDED.df
    RETURNING t.term, t.df
),
posted AS (
    INSERT INTO lexical_postings (tenant_id, context_id, term, version, tf, dl, nth)
    SELECT %(tenant)s, %(id)s, p.term, ctx.base + x.ord, x.tf, x.dl,
           t.df - cardinality(p.ords) + x.i
    FROM ctx, posting p JOIN counted t ON t.term = p.term,
         unnest(p.ords, p.tfs, p.dls) WITH ORDINALITY AS x(ord, tf, dl, i)
)"""

_APPEND_USAGE = """
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
)"""

_APPEND_RECORD = """
record AS (
    INSERT INTO idempotency_keys (tenant_id, context_id, key, fingerprint, first_version,
                                  last_version, head_version, token_count, created_at)
    SELECT %(tenant)s, %(id)s, %(key)s, %(fingerprint)s, ctx.base + 1, ctx.head_version,
           ctx.head_version, %(tokens)s, %(now)s
    FROM ctx WHERE %(key)s::text IS NOT NULL
)
"""

_APPEND_OUTCOME = """
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


def append_statement(*, quota: bool, key: bool) -> str:
    """The APPEND statement for a store with quotas on or off and a batch with an
    idempotency key or without: the usage and the key's record are written only where
    they apply, and a statement without them is short enough (under 4096 characters,
    squeezed) for psycopg to keep its placeholders parsed, which cost 125 us per append."""
    ctes = [_APPEND_WRITES]
    ctes += [_APPEND_USAGE] if quota else []
    ctes += [_APPEND_RECORD] if key else []
    return ",\n".join(c.strip("\n") for c in ctes) + "\n" + _APPEND_OUTCOME.strip("\n") + "\n"


# A history through version `upto` as segments of stored contexts (domain.lineage.segments
# restated): `c` selects the context's id, lineage_ids, lineage_ends and upto. A fork's
# shared rows are read under the ancestor that stores them, one index seek per segment.
SEGMENTS = """
segs AS MATERIALIZED (
    SELECT s.src, s.lo, LEAST(s.hi, c.upto) AS hi
    FROM c, unnest(array_append(c.lineage_ids, c.id), array_prepend(0, c.lineage_ends),
                   array_append(c.lineage_ends, c.upto)) AS s(src, lo, hi)
    WHERE s.lo < c.upto
)"""

# The live context as `c`, read through min(at, head) (the head when at is NULL).
CONTEXT_UPTO = """
c AS MATERIALIZED (
    SELECT id, lineage_ids, lineage_ends, head_version, compacted_through, eligible_total,
           eligible_count, eligible_terms, summary_version, policy,
           LEAST(COALESCE(%(at)s::integer, head_version), head_version) AS upto
    FROM contexts
    WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
)"""

# How far compaction reached for a ranking: `through` when the caller read it (a
# RankBasis), else the head's compaction state (summaries true) or nothing (false), so a
# ranking of the head can be sent with the window's statement, before either is read.
THROUGH = """
th AS MATERIALIZED (
    SELECT COALESCE(%(through)s::integer,
                    CASE WHEN %(summaries)s THEN c.compacted_through ELSE 0 END) AS through
    FROM c
)"""

# The row at version upto, and the newest summary through it (an index seek per segment
# on context_versions_summaries). Read only where a statement asks for them.
ROW_AT = """
row_at AS MATERIALIZED (
    SELECT v.* FROM c, segs s, context_versions v
    WHERE c.upto > s.lo AND c.upto <= s.hi
      AND v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.version = c.upto
)"""
SUMMARY_AT = """
reverted AS MATERIALIZED (
    -- The summaries revert markers through upto reverted (context_versions_reverts).
    SELECT x.version FROM segs s CROSS JOIN LATERAL (
        SELECT r.covers_first AS version FROM context_versions r
        WHERE r.tenant_id = %(tenant)s AND r.context_id = s.src AND r.kind = 'revert'
          AND r.version > s.lo AND r.version <= s.hi
        OFFSET 0) x
),
summary_at AS MATERIALIZED (
    SELECT x.version, x.covers_last, x.src FROM segs s CROSS JOIN LATERAL (
        SELECT v.version, v.covers_last, s.src FROM context_versions v
        WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.kind = 'summary'
          AND v.version > s.lo AND v.version <= s.hi
          AND NOT EXISTS (SELECT 1 FROM reverted r WHERE r.version = v.version)
        ORDER BY v.version DESC LIMIT 1) x
    ORDER BY x.version DESC LIMIT 1
)"""
# Eligible entries, entries and terms through the row at upto (running sums), by name.
ELIGIBLE_AT = f"""
    (SELECT r.eligible_before + CASE WHEN {eligible("r")} THEN r.token_count ELSE 0 END
     FROM row_at r)"""

# The window in one statement, in one snapshot: the state row (as of version upto), then
# the rows of the window's candidates, each saying which it fills: 'pins', 'summary' (the
# newest) or 'tail'. Entry rows leave the state's columns NULL, and the state row the
# entry's. At the head the context row's running figures answer; as of an older version
# (at=N), the row at N and the newest summary through N do.
_WINDOW_STATE = ("head_version", "compacted_through", "policy")
_NO_STATE = ", ".join("NULL" for _ in _WINDOW_STATE)
WINDOW_AT = after_entry(*_WINDOW_STATE, "fills")
# At the head the context row's figures are the state; as of an older version (WINDOW_THEN)
# the row at N and the summary in force through N are read too. Two statements, so the head
# window (the hot path) is planned without them: unprepared, it planned in 0.5 ms, not 1.5.
_STATE_NOW = """
st AS MATERIALIZED (
    SELECT c.upto, c.policy, c.eligible_total,
           CASE WHEN %(summaries)s THEN c.summary_version END AS summary_version
    FROM c
)"""
_STATE_THEN = f"""
{ROW_AT},
{SUMMARY_AT},
st AS MATERIALIZED (
    SELECT c.upto, c.policy,
           CASE WHEN c.upto = c.head_version THEN c.eligible_total
                ELSE COALESCE({ELIGIBLE_AT}, 0) END AS eligible_total,
           CASE WHEN NOT %(summaries)s THEN NULL
                WHEN c.upto = c.head_version THEN c.summary_version
                ELSE (SELECT version FROM summary_at) END AS summary_version
    FROM c
)"""
_WINDOW = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS},
{{state}},
sm AS MATERIALIZED (
    SELECT {_V_ENTRY} FROM st, segs s, context_versions v
    WHERE st.summary_version > s.lo AND st.summary_version <= s.hi
      AND v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.version = st.summary_version
)
SELECT {NO_ENTRY}, st.upto AS head_version,
       COALESCE((SELECT covers_last FROM sm), 0) AS compacted_through, st.policy,
       'state' AS fills
FROM st
UNION ALL
-- OFFSET 0 keeps each lateral a per-segment index seek: flattened into a join, the pins of
-- the whole tenant were read and then filtered by context.
(SELECT x.*, {_NO_STATE}, 'pins' FROM segs s CROSS JOIN LATERAL (
    SELECT {_V_ENTRY} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.is_pin
      AND v.version > s.lo AND v.version <= s.hi
    OFFSET 0) x)
UNION ALL
(SELECT sm.*, {_NO_STATE}, 'summary' FROM sm)
UNION ALL
-- The tail: the suffix whose running eligible sum fits. An entry belongs when the suffix
-- it starts fits (eligible_before >= eligible_total - tail), a range of the partial index
-- context_versions_tail read from its top in each segment (the running sums go on across
-- a fork's boundary), so the cost follows the budget, never the history. The values are
-- scalar subqueries, run-time parameters of the index conditions (as a join, one was
-- planned as a filter over the whole history); as a range (the upper end always holds)
-- the bound is priced as the few rows it is, not a third of the history.
(SELECT x.*, {_NO_STATE}, 'tail' FROM segs s CROSS JOIN LATERAL (
    SELECT {_V_ENTRY} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND {ELIGIBLE}
      AND v.eligible_before BETWEEN (SELECT eligible_total FROM st) - %(tail)s::bigint
                                AND (SELECT eligible_total FROM st)
      -- `+ 0` keeps the primary key out of the tail's plan: a version range would read
      -- the whole history.
      AND v.version + 0 > GREATEST(s.lo, COALESCE((SELECT covers_last FROM sm), 0))
      AND v.version + 0 <= s.hi
    ORDER BY v.eligible_before DESC
    -- As many rows as tokens: enough because every entry holds at least one token (a
    -- CHECK of the schema).
    LIMIT %(tail)s) x)
"""
WINDOW = _WINDOW.replace("{state}", _STATE_NOW)
WINDOW_THEN = _WINDOW.replace("{state}", _STATE_THEN)

# A page of entries as of a version, with the head (a row of NULLs and the head when the
# page is empty; no row when the context is missing).
READ_ENTRIES_AT = after_entry("head")
READ_ENTRIES = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS}
SELECT e.*, c.head_version AS head
FROM c
LEFT JOIN LATERAL (
    SELECT x.* FROM segs s CROSS JOIN LATERAL (
        SELECT {_V_ENTRY} FROM context_versions v
        WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src
          AND v.version > GREATEST(s.lo, %(after)s) AND v.version <= s.hi
        ORDER BY v.version
        LIMIT %(limit)s) x
    ORDER BY x.version
    LIMIT %(limit)s
) e ON true
"""

# A lateral per segment, kept apart by OFFSET 0: as a join, the plan probed the primary
# key by (tenant, version) and skipped over every context of the tenant for each version.
READ_VERSIONS = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS}
SELECT x.* FROM segs s CROSS JOIN LATERAL (
    SELECT {_V_ENTRY} FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src
      AND v.version = ANY(%(versions)s::integer[]) AND v.version > s.lo AND v.version <= s.hi
    OFFSET 0) x
ORDER BY x.version
"""

# The vectors of rows read without them (adapters/postgres/vectors.VectorReads), by the
# segment that holds each row and its version: a primary-key seek each. Rows erased, or
# vectors removed, since they were read are simply not found.
READ_EMBEDDINGS = """
SELECT v.context_id, v.version, v.embedding
FROM unnest(%(srcs)s::text[], %(versions)s::integer[]) AS k(src, version)
JOIN context_versions v
  ON v.tenant_id = %(tenant)s AND v.context_id = k.src AND v.version = k.version
WHERE v.embedding IS NOT NULL
"""

# What a ranking needs first: the history's end and its compaction state through it.
CONTEXT_STATE = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS},
{SUMMARY_AT}
SELECT c.head_version, c.upto,
       CASE WHEN c.upto = c.head_version THEN c.compacted_through
            ELSE COALESCE((SELECT covers_last FROM summary_at), 0) END AS compacted_through
FROM c
"""

# Every ranking (these two, and lexical.py's) selects an entry's place, not the entry:
# its version, score, tokens, whether it is in a tool-call group and where that group's
# read starts and ends (domain.relevance.Ranked; tool_calls is NULL when there are none),
# in this order.
RANKED_COLUMNS = ("version", "score", "token_count", "grouped", "group_start", "group_end")


def ranked_columns(table: str) -> str:
    """An entry's place columns but the score and the group's start, read off `table`."""
    return (f"{table}.version, {table}.token_count, "
            f"({table}.role = 'tool' OR {table}.tool_calls IS NOT NULL) AS grouped")


def group_start(table: str) -> str:
    """domain.relevance.group_start of a ranked row of `table` (its version and grouped
    columns), over the lineage's segments `segs`: the newest version at or before it,
    within TOOL_REACH, that makes tool calls (context_versions_calls, one probe per
    segment). Selected after a ranking's LIMIT: only its places pay for it."""
    return f"""CASE WHEN {table}.grouped THEN (
        SELECT max(g.version) FROM segs gs CROSS JOIN LATERAL (
            SELECT w.version FROM context_versions w
            WHERE w.tenant_id = %(tenant)s AND w.context_id = gs.src
              AND w.tool_calls IS NOT NULL
              AND w.version >= GREATEST(gs.lo + 1, {table}.version - {TOOL_REACH})
              AND w.version <= LEAST(gs.hi, {table}.version)
            ORDER BY w.version DESC LIMIT 1) g) END AS group_start"""


def group_end(table: str) -> str:
    """domain.relevance.group_end of a ranked row of `table` whose group_start is known:
    the newest tool result after that start within TOOL_REACH of it, over the lineage's
    segments `segs` (a short primary-key range per segment), or the row's own version
    when newer. NULL where the start is."""
    return f"""CASE WHEN {table}.group_start IS NOT NULL THEN GREATEST({table}.version, (
        SELECT max(g.version) FROM segs gs CROSS JOIN LATERAL (
            SELECT w.version FROM context_versions w
            WHERE w.tenant_id = %(tenant)s AND w.context_id = gs.src AND w.role = 'tool'
              AND w.version > GREATEST(gs.lo, {table}.group_start)
              AND w.version <= LEAST(gs.hi, {table}.group_start + {TOOL_REACH})
            ORDER BY w.version DESC LIMIT 1) g)) END AS group_end"""


# Cosine over the history's eligible active entries (through upto), per segment, best
# first, ties to the newer version. RANK_SEMANTIC is exact: ordering by the score (not by
# the distance operator) keeps the HNSW index out, so a narrow filter loses no result.
# RANK_SEMANTIC_INDEXED, for long histories, orders each segment by the distance operator:
# an iterative HNSW scan (relaxed order) walks the index until k rows of the segment pass
# the filters, and the outer ORDER BY restores the exact ranking's order among them.
# Fewer than k rows means a scan gave up (hnsw.max_scan_tuples) or the history holds
# fewer: the caller then runs RANK_SEMANTIC.
_RANK_SEMANTIC = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS},
{THROUGH}
SELECT p.*, {group_end("p")} FROM (
SELECT r.version, r.score, r.token_count, r.grouped, {group_start("r")} FROM (
    SELECT x.version, x.score, x.token_count, x.grouped FROM th, segs s CROSS JOIN LATERAL (
        SELECT {ranked_columns("v")},
               COALESCE(NULLIF(1 - (v.embedding <=> %(q)s), 'NaN'), 0) AS score
        FROM context_versions v
        WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND {ELIGIBLE}
          AND v.version > GREATEST(s.lo, th.through) AND v.version <= s.hi
          AND v.embedding IS NOT NULL
        ORDER BY {{order}}
        LIMIT %(k)s) x
    ORDER BY x.score DESC, x.version DESC
    LIMIT %(k)s) r
OFFSET 0) p
ORDER BY p.score DESC, p.version DESC
"""
RANK_SEMANTIC = _RANK_SEMANTIC.format(order="score DESC, v.version DESC")
RANK_SEMANTIC_INDEXED = _RANK_SEMANTIC.format(order="v.embedding <=> %(q)s")

# Lexical ranking (BM25) is adapters/postgres/lexical.py's.


# A fork shares the parent's rows 1..N (domain.lineage): the child's base is the parent's
# segments through N, and nothing is copied, so a fork of 1M entries costs what one of 1k
# does. The child's totals and compaction state are those of the parent at version N:
# domain.history.state_at restated over the stored running sums (the contract suite holds
# the two together): the row at N, the newest summary through N, and the pins and
# summaries through N (index seeks) for the token total.
FORK = f"""
WITH c AS MATERIALIZED (
    SELECT id, metadata, policy, lineage_ids, lineage_ends, %(version)s::integer AS upto
    FROM contexts
    WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NULL
      AND %(version)s BETWEEN 0 AND head_version
    -- A purge (FOR UPDATE) waits for the fork, or the fork for the purge (and then finds
    -- no parent): a fork never shares rows a purge deletes. Appends are not held up.
    FOR KEY SHARE
),
{SEGMENTS},
{ROW_AT},
{SUMMARY_AT},
not_eligible AS (
    SELECT COALESCE(sum(x.token_count), 0) AS tokens FROM segs s CROSS JOIN LATERAL (
        (SELECT v.token_count FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.is_pin
           AND v.kind = 'message' AND v.version > s.lo AND v.version <= s.hi
         OFFSET 0)
        UNION ALL
        (SELECT v.token_count FROM context_versions v
         WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.kind = 'summary'
           AND v.version > s.lo AND v.version <= s.hi
         OFFSET 0)) x
),
at_n AS (
    SELECT
        {ELIGIBLE_AT} AS eligible_total,
        -- The lexical corpus's running totals (adapters/postgres/lexical.py) at N.
        (SELECT r.eligible_count_before + CASE WHEN {eligible("r")} THEN 1 ELSE 0 END
         FROM row_at r) AS eligible_count,
        (SELECT r.eligible_terms_before
                + CASE WHEN {eligible("r")} THEN r.term_count ELSE 0 END
         FROM row_at r) AS eligible_terms,
        -- The discourse scope after N: the newest message's at or before it (summaries
        -- and revert markers hold none, as they change none; a message written before
        -- migration 006 holds none either, and the search stops there: it reads back a
        -- few rows, never the history).
        (SELECT x.scope FROM segs s CROSS JOIN LATERAL (
             SELECT v.version, v.scope FROM context_versions v
             WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src
               AND v.version > s.lo AND v.version <= s.hi AND v.kind = 'message'
             ORDER BY v.version DESC LIMIT 1) x
         ORDER BY x.version DESC LIMIT 1) AS scope
),
child AS (
    INSERT INTO contexts (tenant_id, id, name, metadata, policy, parent_id, fork_version,
                          head_version, token_total, eligible_total, eligible_count,
                          eligible_terms, compacted_through, summary_version, scope,
                          lineage_ids, lineage_ends, created_at, updated_at)
    SELECT %(tenant)s, %(new_id)s, %(name)s, p.metadata, p.policy, p.id, %(version)s,
           %(version)s, COALESCE(a.eligible_total, 0) + (SELECT tokens FROM not_eligible),
           COALESCE(a.eligible_total, 0), COALESCE(a.eligible_count, 0),
           COALESCE(a.eligible_terms, 0),
           COALESCE((SELECT covers_last FROM summary_at), 0),
           (SELECT version FROM summary_at), COALESCE(a.scope, '{{}}'),
           COALESCE((SELECT array_agg(src ORDER BY lo) FROM segs), '{{}}'),
           COALESCE((SELECT array_agg(hi ORDER BY lo) FROM segs), '{{}}'),
           %(now)s, %(now)s
    FROM c p, at_n a
    ON CONFLICT DO NOTHING
    RETURNING {CONTEXT_COLUMNS}
)
SELECT * FROM child
"""

# Purge, in one transaction: lock the context (live or soft-deleted, not yet purged),
# find the last of its versions another context's base still shares (soft-deleted forks
# count: they can be restored), delete its rows after that and its idempotency keys, and
# drop the context row, or keep it as a purged tombstone while rows are shared.
LOCK_FOR_PURGE = """
SELECT id, lineage_ids FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND purged_at IS NULL
FOR UPDATE
"""

SHARED_THROUGH = """
SELECT COALESCE(max(u.last), 0) AS shared
FROM contexts k, unnest(k.lineage_ids, k.lineage_ends) AS u(src, last)
WHERE k.tenant_id = %(tenant)s AND k.lineage_ids @> ARRAY[%(id)s::text]
  AND cardinality(k.lineage_ids) > 0 AND k.purged_at IS NULL AND k.id <> %(id)s
  AND u.src = %(id)s
"""

PURGE_ROWS = """
WITH gone AS (
    DELETE FROM context_versions
    WHERE tenant_id = %(tenant)s AND context_id = %(id)s AND version > %(shared)s
    RETURNING embedding IS NOT NULL AS embedded
),
postings AS (
    -- The rows' terms go with them; a fork's shared rows keep theirs.
    DELETE FROM lexical_postings
    WHERE tenant_id = %(tenant)s AND context_id = %(id)s AND version > %(shared)s
),
terms AS (
    -- Counts for appends, which a purged context never takes again.
    DELETE FROM lexical_terms WHERE tenant_id = %(tenant)s AND context_id = %(id)s
)
SELECT count(*) AS entries, count(*) FILTER (WHERE embedded) AS embeddings FROM gone
"""

PURGE_RECEIPTS = """
DELETE FROM receipts WHERE tenant_id = %(tenant)s AND context_id = %(id)s
"""

RECORD_ERASURE = """
INSERT INTO erasures (tenant_id, context_id, erased_at, reason, entries_removed,
                      embeddings_removed, receipts_removed, entries_kept_for_forks)
VALUES (%(tenant)s, %(id)s, %(now)s, %(reason)s, %(entries_removed)s,
        %(embeddings_removed)s, %(receipts_removed)s, %(entries_kept_for_forks)s)
"""

LIST_ERASURES = """
SELECT tenant_id, context_id, erased_at, reason, entries_removed, embeddings_removed,
       receipts_removed, entries_kept_for_forks
FROM erasures
WHERE tenant_id = %(tenant)s
  AND (%(after_at)s::timestamptz IS NULL OR (erased_at, context_id) > (%(after_at)s, %(after_id)s))
ORDER BY erased_at, context_id
LIMIT %(limit)s
"""

PURGE_KEYS = """
DELETE FROM idempotency_keys WHERE tenant_id = %(tenant)s AND context_id = %(id)s
"""

KEPT_ROWS = """
SELECT count(*) AS kept FROM context_versions
WHERE tenant_id = %(tenant)s AND context_id = %(id)s
"""

DROP_CONTEXT = """
DELETE FROM contexts WHERE tenant_id = %(tenant)s AND id = %(id)s
"""

TOMBSTONE_CONTEXT = """
UPDATE contexts SET purged_at = %(now)s, deleted_at = COALESCE(deleted_at, %(now)s),
                    updated_at = %(now)s
WHERE tenant_id = %(tenant)s AND id = %(id)s
"""

# A purged ancestor a base no longer needs all of: locked, so two purges settle in turn.
LOCK_PURGED = """
SELECT id FROM contexts
WHERE tenant_id = %(tenant)s AND id = %(id)s AND purged_at IS NOT NULL
FOR UPDATE
"""

HIT_AT = after_entry("context_id", "distance")

# Similarity search within one context: its whole lineage (any kind of entry with an
# embedding), hits under the context's own id, through an HNSW iterative scan per
# segment; and the exact answer for when a scan gave up before finding k rows.
_IN_CONTEXT = f"""
WITH {CONTEXT_UPTO},
{SEGMENTS}
SELECT x.* FROM segs s CROSS JOIN LATERAL (
    SELECT {_V_ENTRY}, %(id)s::text AS context_id, v.embedding <=> %(q)s AS distance
    FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = s.src AND v.embedding IS NOT NULL
      AND v.version > s.lo AND v.version <= s.hi
    ORDER BY {{order}}
    LIMIT %(k)s) x
ORDER BY x.distance + 0, x.version
LIMIT %(k)s
"""
SEARCH_CONTEXT = _IN_CONTEXT.format(order="v.embedding <=> %(q)s")
SEARCH_CONTEXT_EXACT = _IN_CONTEXT.format(order="(v.embedding <=> %(q)s) + 0, v.version")

# Similarity search within the tenant's live contexts: each stored row once, under the
# context that stores it. With iterative index scans (relaxed order) the HNSW scan keeps
# going until k rows pass the filters; the outer ORDER BY restores exact order among
# them. Every search selects the entry, its context and the cosine distance.
SEARCH = f"""
WITH relaxed AS MATERIALIZED (
    SELECT {_V_ENTRY}, v.context_id, v.embedding <=> %(q)s AS distance
    FROM context_versions v
    JOIN contexts c ON c.tenant_id = v.tenant_id AND c.id = v.context_id
    WHERE v.tenant_id = %(tenant)s AND c.deleted_at IS NULL AND v.embedding IS NOT NULL
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
ORDER BY (v.embedding <=> %(q)s) + 0, v.context_id, v.version
LIMIT %(k)s
"""
