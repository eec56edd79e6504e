-- Compactions can be reverted (domain/compaction.py revert_draft): the revert is a version
-- of its own, kind 'revert', whose covers_first/covers_last name the summary it reverted.
-- The summary stays in the history; windows, forks and rankings as of any version after
-- the revert use the summary before it. Markers are few: a partial index finds them.
ALTER TABLE context_versions DROP CONSTRAINT context_versions_kind_check;

ALTER TABLE context_versions ADD CONSTRAINT context_versions_kind_check
    CHECK (kind IN ('message', 'summary', 'revert'));

CREATE INDEX context_versions_reverts ON context_versions (tenant_id, context_id, version)
    WHERE kind = 'revert';
