-- Receipts (domain/receipts.py): windows as they were sent to the model. A receipt keeps
-- the versions the window held, with the reason, score and tokens each was sent with
-- (`entries`, in the order sent: [[version, reason, score, tokens, stub_source], ...]:
-- stub_source is the token source of a cleared tool result's stub, else null), and the
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
    tokens_saved integer NOT NULL DEFAULT 0,
    shared_prefix_tokens integer,
    PRIMARY KEY (tenant_id, context_id, id)
);

-- A context's receipts by time, a page per index seek (cursor pagination).
CREATE INDEX receipts_order ON receipts (tenant_id, context_id, created_at, id);

-- Row-level security, as on every table holding a tenant's rows (007).
ALTER TABLE receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON receipts
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));

-- Retention (domain.retention.expired, restated): a receipt is kept its context's
-- policy's days, else the deployment's (also once the context row is gone); days are 24
-- hours, as Python's timedelta counts them. The one statement that crosses tenants, so it
-- runs as this function's owner, who must bypass row-level security (a superuser or
-- BYPASSRLS role, as migrations run): under the policies it would see no row and delete
-- nothing, so it refuses to run instead. It deletes expired receipts and nothing else.
CREATE FUNCTION expire_receipts(at timestamptz, days integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE
    gone bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'expire_receipts must be owned by a role that bypasses row-level security';
    END IF;
    DELETE FROM receipts r
    WHERE at > r.created_at + interval '24 hours' * COALESCE(
        (SELECT (c.policy->>'receipt_retention_days')::integer FROM contexts c
         WHERE c.tenant_id = r.tenant_id AND c.id = r.context_id),
        days);
    GET DIAGNOSTICS gone = ROW_COUNT;
    RETURN gone;
END
$$;
