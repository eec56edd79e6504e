-- Lexical ranking through per-context postings (domain.lexical.POSTINGS_PER_TERM): each
-- eligible entry (a message that is not a pin) has one row per distinct term it holds,
-- keyed (tenant, context, term, version), so a ranking reads, per query term, two index
-- seeks for its document frequency and one backward range scan for its newest holders:
-- work bounded by the query, not by the history, and kept to the one context (other
-- contexts of the tenant cost nothing). This replaces the tenant-wide GIN index over
-- `search`, which had to match every holder of a common term and then throw most away.
--
-- nth is the posting's rank among the context's holders of the term, in version order
-- (1, 2, ...), so the holders in versions (lo, hi] number nth(last <= hi) - nth(last <= lo).
-- lexical_terms keeps each term's count through the head: an append reads and bumps it
-- under the same lock as the head (ON CONFLICT DO UPDATE sees the newest committed count),
-- so concurrent appenders never share an nth.
CREATE TABLE lexical_postings (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    term text NOT NULL,
    version integer NOT NULL,
    tf integer NOT NULL,   -- domain.lexical.term_frequencies
    dl integer NOT NULL,   -- the entry's term count (domain.lexical's dl)
    nth integer NOT NULL,
    PRIMARY KEY (tenant_id, context_id, term, version) INCLUDE (tf, dl, nth)
);

CREATE TABLE lexical_terms (
    tenant_id text NOT NULL,
    context_id text NOT NULL,
    term text NOT NULL,
    df integer NOT NULL,
    PRIMARY KEY (tenant_id, context_id, term)
);

-- Existing entries, from the terms 005 wrote into `search` (positions 1..tf per term).
INSERT INTO lexical_postings (tenant_id, context_id, term, version, tf, dl, nth)
SELECT v.tenant_id, v.context_id, t.lexeme, v.version, cardinality(t.positions),
       v.term_count,
       row_number() OVER (PARTITION BY v.tenant_id, v.context_id, t.lexeme
                          ORDER BY v.version)
FROM context_versions v, unnest(v.search) AS t
WHERE v.kind = 'message' AND NOT v.is_pin;

INSERT INTO lexical_terms (tenant_id, context_id, term, df)
SELECT tenant_id, context_id, term, count(*)
FROM lexical_postings
GROUP BY tenant_id, context_id, term;

DROP FUNCTION lexical_matches(text[], integer[], integer[], tsquery);
DROP INDEX context_versions_search;
ALTER TABLE context_versions DROP COLUMN search;

-- The same wall as every tenant table (007).
ALTER TABLE lexical_postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE lexical_postings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON lexical_postings
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));

ALTER TABLE lexical_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE lexical_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON lexical_terms
    USING (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('kata.tenant_id', true), ''));
