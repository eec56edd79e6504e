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
