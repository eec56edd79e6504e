-- Lexical ranking computes domain/lexical.py's BM25 exactly in both stores. Each entry's
-- `search` now holds the domain's terms as the application writes them (each distinct term
-- with positions 1..tf, tf at most 256), never PostgreSQL's parse of the text, and each row
-- keeps the counts the corpus needs, so n and avgdl over the eligible entries after
-- compacted_through are two row reads at any history length.

-- Through the head: how many eligible entries (messages that are not pins) the context
-- holds, and their terms. Running totals, like eligible_total.
ALTER TABLE contexts
    ADD COLUMN eligible_count integer NOT NULL DEFAULT 0,
    ADD COLUMN eligible_terms bigint NOT NULL DEFAULT 0;

-- term_count: the entry's terms, repeats included (domain.lexical's dl).
-- eligible_count_before / eligible_terms_before: eligible entries of versions 1..version-1
-- and their terms (as eligible_before is for tokens). The application always writes them;
-- the defaults stay so that bulk loaders that never rank text (bench/) need not.
ALTER TABLE context_versions
    ADD COLUMN term_count integer NOT NULL DEFAULT 0,
    ADD COLUMN eligible_count_before integer NOT NULL DEFAULT 0,
    ADD COLUMN eligible_terms_before bigint NOT NULL DEFAULT 0;

-- Existing rows, in one pass. SQL cannot run the domain's rule (Python's \w on Python's
-- lower()), so this restates it with PostgreSQL's: lower-cased runs of \w under the
-- database's locale, each cut to 500 characters, tf at most 256. For ASCII text the two
-- agree; for other scripts they agree as far as the locale classifies letters as Unicode
-- does (a C.UTF-8 or en_US.UTF-8 database does for common scripts). The text is
-- domain.tokens.message_text's: the content (a string, or its parts' texts), then each tool
-- call's name and arguments.
WITH texts AS (
    SELECT v.tenant_id, v.context_id, v.version, x.part
    FROM context_versions v,
    LATERAL (
        SELECT v.content #>> '{}' WHERE json_typeof(v.content) = 'string'
        UNION ALL
        SELECT p.value ->> 'text'
        FROM json_array_elements(
            CASE WHEN json_typeof(v.content) = 'array' THEN v.content END) AS p
        UNION ALL
        SELECT c.value ->> 'name' FROM json_array_elements(v.tool_calls) AS c
        UNION ALL
        SELECT c.value ->> 'arguments' FROM json_array_elements(v.tool_calls) AS c
    ) AS x (part)
),
counts AS (
    SELECT t.tenant_id, t.context_id, t.version, left(m.word[1], 500) AS term, count(*) AS tf
    FROM texts AS t, regexp_matches(lower(t.part), '\w+', 'g') AS m (word)
    GROUP BY t.tenant_id, t.context_id, t.version, left(m.word[1], 500)
),
vectors AS (
    SELECT tenant_id, context_id, version, sum(tf) AS term_count,
           string_agg(
               '''' || term || ''':'
               || array_to_string(ARRAY(SELECT generate_series(1, least(tf, 256)::integer)), ','),
               ' ')::tsvector AS search
    FROM counts
    GROUP BY tenant_id, context_id, version
),
terms AS (
    SELECT v.tenant_id, v.context_id, v.version,
           COALESCE(w.search, ''::tsvector) AS search,
           COALESCE(w.term_count, 0)::integer AS term_count,
           CASE WHEN v.kind = 'message' AND NOT v.is_pin THEN 1 ELSE 0 END AS eligible
    FROM context_versions AS v
    LEFT JOIN vectors AS w
      ON w.tenant_id = v.tenant_id AND w.context_id = v.context_id AND w.version = v.version
),
running AS (
    SELECT tenant_id, context_id, version, search, term_count,
           COALESCE(sum(eligible) OVER earlier, 0) AS count_before,
           COALESCE(sum(eligible * term_count) OVER earlier, 0) AS terms_before
    FROM terms
    WINDOW earlier AS (PARTITION BY tenant_id, context_id ORDER BY version
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
UPDATE context_versions AS v
SET search = r.search,
    term_count = r.term_count,
    eligible_count_before = r.count_before,
    eligible_terms_before = r.terms_before
FROM running AS r
WHERE v.tenant_id = r.tenant_id AND v.context_id = r.context_id AND v.version = r.version;

-- Every row of a context is at or below its head, so the totals are sums over its rows.
UPDATE contexts AS c
SET eligible_count = t.n, eligible_terms = t.terms
FROM (
    SELECT tenant_id, context_id, count(*) AS n, sum(term_count) AS terms
    FROM context_versions
    WHERE kind = 'message' AND NOT is_pin
    GROUP BY tenant_id, context_id
) AS t
WHERE c.tenant_id = t.tenant_id AND c.id = t.context_id;
