-- Copy-on-write forks (domain/lineage.py): a fork shares its parent's versions 1..N
-- instead of copying them. Its base is the segments of other contexts its history starts
-- with, oldest first: lineage_ids[i] holds versions (lineage_ends[i-1], lineage_ends[i]]
-- (0 before the first); the context's own rows follow the last end. A fork of a fork
-- flattens the chain, so a read visits at most one segment per ancestor it uses.
-- Contexts forked before this migration hold copies: their base is empty, as a root's.
ALTER TABLE contexts ADD COLUMN lineage_ids text[] NOT NULL DEFAULT '{}';

ALTER TABLE contexts ADD COLUMN lineage_ends integer[] NOT NULL DEFAULT '{}';

-- A purged context whose early rows a fork still shares stays as a tombstone (deleted,
-- purged) until the last fork sharing them is purged too.
ALTER TABLE contexts ADD COLUMN purged_at timestamptz;

-- The newest summary at or before a version (windows and forks as of N): an index seek,
-- whatever the history's length.
CREATE INDEX context_versions_summaries ON context_versions (tenant_id, context_id, version)
    WHERE kind = 'summary';

-- The contexts whose base shares a context's rows (purge): a GIN lookup per tenant.
CREATE INDEX contexts_lineage ON contexts USING gin (lineage_ids)
    WHERE cardinality(lineage_ids) > 0;

-- Lexical matches over a lineage (adapters/postgres/lexical.py): the eligible entries of
-- each segment (srcs[i], los[i] < version <= his[i]) that match, found through the GIN
-- index in one scan. It replaces 007's one-context form. As there, it runs as its owner
-- so that row-level security does not keep the planner from the index (tsvector @@
-- tsquery is not LEAKPROOF), and applies the policies' tenant condition itself. The
-- segment's context and range stay out of the index conditions (`|| ''`, `+ 0`): unknown
-- at plan time, they were priced as a handful of rows, and a b-tree read the whole history.
DROP FUNCTION lexical_matches(text, integer, tsquery);

CREATE FUNCTION lexical_matches(srcs text[], los integer[], his integer[], query tsquery)
RETURNS TABLE (src text, version integer, term_count integer, search tsvector)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
    SELECT s.src, v.version, v.term_count, v.search
    FROM context_versions v
    JOIN unnest(srcs, los, his) AS s(src, lo, hi)
      ON v.context_id || '' = s.src AND v.version + 0 > s.lo AND v.version + 0 <= s.hi
    WHERE v.tenant_id = NULLIF(current_setting('kata.tenant_id', true), '')
      AND v.kind = 'message' AND NOT v.is_pin AND v.search @@ query
$$;

-- Retention (domain.retention.restorable, restated): the soft-deleted contexts, not yet
-- purged, whose retention has passed: their policy's days, else the deployment's; days
-- are 24 hours. Read across tenants, so as this function's owner, who must bypass
-- row-level security (as expire_receipts, 009); each is then purged in its own tenant's
-- transaction.
CREATE FUNCTION expired_contexts(at timestamptz, days integer)
RETURNS TABLE (tenant_id text, id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'expired_contexts must be owned by a role that bypasses row-level security';
    END IF;
    RETURN QUERY
    SELECT c.tenant_id, c.id FROM contexts c
    WHERE c.deleted_at IS NOT NULL AND c.purged_at IS NULL
      AND at > c.deleted_at + interval '24 hours' * COALESCE(
          (c.policy->>'deleted_retention_days')::integer, days)
    ORDER BY c.tenant_id, c.id;
END
$$;

-- The audit of erasures: one row per purge (asked for, or by retention), written in the
-- purge's transaction. It keeps no content: ids, time, reason and counts only.
CREATE TABLE erasures (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    erased_at timestamptz NOT NULL,
    reason text NOT NULL CHECK (reason IN ('request', 'retention')),
    entries_removed integer NOT NULL,
    embeddings_removed integer NOT NULL,
    receipts_removed integer NOT NULL,
    entries_kept_for_forks integer NOT NULL,
    PRIMARY KEY (tenant_id, erased_at, context_id)
);

ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON erasures
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));
