-- Receipts (domain/receipts.py): windows as they were sent to the model. A receipt keeps
-- the versions the window held, with the reason, score and tokens each was sent with
-- (`entries`, in the order sent: [[version, reason, score, tokens], ...]), and the
-- window's accounting; never the text, which the immutable version log gives back.
-- The query is kept only as SHA-256 digests. Keyed by tenant first, like every table.
CREATE TABLE receipts (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    id text NOT NULL,
    created_at timestamptz NOT NULL,
    head_version integer NOT NULL CHECK (head_version >= 0),
    budget integer NOT NULL,
    reserve integer NOT NULL,
    query_hash text,
    query_embedding_hash text,
    relevant_share double precision,
    neighbours integer,
    -- json, not jsonb: the policy as the window used it, verbatim.
    policy json NOT NULL,
    entries json NOT NULL,
    tokens integer NOT NULL,
    omitted_count integer NOT NULL,
    -- [[first, last], ...]
    omitted json NOT NULL,
    summary_first integer,
    summary_last integer,
    approximate boolean NOT NULL,
    PRIMARY KEY (tenant_id, context_id, id)
);

-- A context's receipts by time, a page per index seek (cursor pagination).
CREATE INDEX receipts_order ON receipts (tenant_id, context_id, created_at, id);
