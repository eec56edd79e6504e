-- The rows that make tool calls, for a ranking to find where a grouped entry's tool-call
-- group starts (domain.relevance.group_start: the newest call at or before the entry,
-- within TOOL_REACH) with one probe of this index rather than a heap read per row near
-- it. Few rows make calls: the index is small, and an append of others never touches it.
CREATE INDEX context_versions_calls ON context_versions (tenant_id, context_id, version)
    WHERE tool_calls IS NOT NULL;
