-- Embeddings stay in their row. pgvector's `vector` is EXTERNAL: past about 500 dimensions a
-- row's vector goes out of line to the TOAST table, so a ranking's exact cosine scan (every
-- context below the HNSW threshold) fetched each vector's chunks through the TOAST index:
-- 5,000 entries of 1536 dimensions, query window p50 30-33 ms, 19-22 stored in the row.
-- MAIN keeps a vector in the row (out of line only if the row could not fit a page, as
-- for vectors of more than about 1,900 dimensions); its compression attempt on floats fails
-- fast. The price: a row with a 1536-d vector fills most of a page, so a recency window
-- over such rows reads a page per entry (p50 1.9 -> 2.9 ms for 292 entries). Rows written
-- before this migration keep their layout until rewritten (VACUUM FULL).
ALTER TABLE context_versions ALTER COLUMN embedding SET STORAGE MAIN;
