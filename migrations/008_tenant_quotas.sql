-- Per-tenant quotas (domain/quota.py): what each tenant stores, counted by the append
-- statement itself while a quota is on. The limits in force travel with each append and
-- are kept on the row, so the CHECK refuses any append that would pass them: the
-- statement fails whole, nothing is written, and concurrent appends of the tenant, which
-- queue on this row, can never together go past the limit.
CREATE TABLE tenant_usage (
    tenant_id text PRIMARY KEY,
    entries bigint NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    max_entries bigint,
    max_bytes bigint,
    CONSTRAINT tenant_usage_within_quota CHECK (
        (max_entries IS NULL OR entries <= max_entries)
        AND (max_bytes IS NULL OR bytes <= max_bytes))
);

ALTER TABLE tenant_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON tenant_usage
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));
