-- Contexts: one row per versioned history, keyed by tenant first so every lookup names
-- its tenant (and the table can be distributed by tenant_id later).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE contexts (
    tenant_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL DEFAULT '',
    -- json, not jsonb: stored verbatim, so numbers and key order come back as sent.
    metadata json NOT NULL DEFAULT '{}',
    policy json NOT NULL,
    parent_id text,
    fork_version integer,
    head_version integer NOT NULL DEFAULT 0 CHECK (head_version >= 0),
    token_total bigint NOT NULL DEFAULT 0,
    -- Running total of ELIGIBLE tokens (messages that are not pins) through the head:
    -- the window's tail starts where an entry's eligible_before >= this - budget.
    eligible_total bigint NOT NULL DEFAULT 0,
    compacted_through integer NOT NULL DEFAULT 0,
    summary_version integer,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- Cursor pagination of live contexts by (created_at, id): an index seek per page.
CREATE INDEX contexts_live_order ON contexts (tenant_id, created_at, id)
    WHERE deleted_at IS NULL;

-- Live direct forks of a context, in order.
CREATE INDEX contexts_forks ON contexts (tenant_id, parent_id, created_at, id)
    WHERE parent_id IS NOT NULL AND deleted_at IS NULL;
