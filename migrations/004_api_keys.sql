-- API keys, stored only as SHA-256 hashes; each belongs to one tenant.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    tenant_id text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    prefix text NOT NULL,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at, id);
