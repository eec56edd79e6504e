-- The immutable version log. The embedding dimension is fixed per deployment: the runner
-- substitutes ${dimension} when it applies this file (the checksum covers the file as written).
CREATE TABLE context_versions (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    kind text NOT NULL CHECK (kind IN ('message', 'summary')),
    role text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content json NOT NULL,
    name text,
    tool_calls json,
    tool_call_id text,
    metadata json NOT NULL DEFAULT '{}',
    token_count integer NOT NULL CHECK (token_count >= 1),
    token_source text NOT NULL,
    pinned boolean NOT NULL DEFAULT false,
    -- A pin: a message that is pinned or from the system; always in the window.
    is_pin boolean NOT NULL,
    -- Eligible tokens (messages that are not pins) of versions 1..version-1.
    eligible_before bigint NOT NULL,
    covers_first integer,
    covers_last integer,
    embedding vector(${dimension}),
    -- Full-text terms of the entry's text and tool calls ('simple': no stemming, any language).
    search tsvector NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, context_id, version)
);

-- The window's tail: a backward seek on the running sum of eligible entries.
CREATE INDEX context_versions_tail ON context_versions (tenant_id, context_id, eligible_before)
    WHERE kind = 'message' AND NOT is_pin;

-- Pins are always in the window: found by index, however long the history.
CREATE INDEX context_versions_pins ON context_versions (tenant_id, context_id, version)
    WHERE is_pin;

-- Similarity search (cosine); tenant filters run through iterative index scans.
CREATE INDEX context_versions_embedding ON context_versions
    USING hnsw (embedding vector_cosine_ops);

-- Lexical relevance of eligible entries for query-aware windows.
CREATE INDEX context_versions_search ON context_versions USING gin (search)
    WHERE kind = 'message' AND NOT is_pin;
