-- The first result of each idempotent append, per (tenant, context, key): a retry with the
-- same payload fingerprint replays it; another payload under the same key is refused.
CREATE TABLE idempotency_keys (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    first_version integer NOT NULL,
    last_version integer NOT NULL,
    head_version integer NOT NULL,
    token_count bigint NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, context_id, key)
);
