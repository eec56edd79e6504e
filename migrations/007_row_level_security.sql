-- Row-level security: the second wall behind every query's own tenant filter. Each table
-- that holds a tenant's rows shows a session only the rows of the tenant its transaction
-- named with set_config('kata.tenant_id', <tenant>, true) (SET LOCAL semantics: the setting
-- ends with the transaction, so it is safe behind a transaction-mode pooler). A
-- transaction that names no tenant sees no rows and can write none. NULLIF: once a
-- transaction-local setting has ended, the session reads it back as '' rather than NULL.
--
-- FORCE applies the policies to the tables' owner too, so an app misconfigured to connect
-- as the owner still gets the wall; superusers and BYPASSRLS roles are exempt, which is
-- what migrations and the admin commands run as (docs/deploy.md). The service connects as
-- a role that owns nothing and cannot bypass RLS (migrations.roles.grant_app_role).

ALTER TABLE contexts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contexts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON contexts
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));

ALTER TABLE context_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE context_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON context_versions
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON idempotency_keys
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));

-- API keys are read before any tenant is known: authentication maps a key's hash to its
-- tenant. The deliberate exception is narrow: a transaction that names a hash with
-- set_config('kata.key_hash', <sha-256>, true) may read the one row with that hash, and
-- nothing else. Knowing a row's hash is knowing the key itself (the hash is of a random
-- 256-bit secret), so this reveals no row to anyone who could not already authenticate as
-- it, and the service can never list or change another tenant's keys. A SECURITY DEFINER
-- function would also work, but it runs as the owner, whose rights are far wider.
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_keys
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));
CREATE POLICY key_lookup ON api_keys FOR SELECT
    USING (key_hash = NULLIF(current_setting('kata.key_hash', true), ''));

-- Full-text matches for lexical ranking (adapters/postgres/lexical.py). Under row-level
-- security PostgreSQL may not use an operator that is not LEAKPROOF, such as tsvector @@
-- tsquery, as an index condition ahead of the policy's check, so the GIN index on `search`
-- would go unused and ranking would read every row of the context. This function runs the
-- indexed match as its owner (a superuser or BYPASSRLS role: the policies do not stand in
-- the planner's way there) and applies the same wall itself: only rows of the tenant the
-- transaction named, exactly the policy's condition. Without such an owner the policies
-- still apply inside it: the same rows, found without the index.
CREATE FUNCTION lexical_matches(context text, through integer, query tsquery)
RETURNS TABLE (version integer, term_count integer, search tsvector)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
    SELECT v.version, v.term_count, v.search
    FROM context_versions v
    WHERE v.tenant_id = NULLIF(current_setting('kata.tenant_id', true), '')
      AND v.context_id = context AND v.kind = 'message' AND NOT v.is_pin
      AND v.version > through AND v.search @@ query
$$;
