-- Discourse scope (domain/discourse.py): the subjects in scope after each message, so a
-- later fact about "it" is indexed with the subject named before it. The context keeps the
-- scope after its head (an append drafted under another scope is refused and drafted
-- again, as for the policy); each message row keeps the scope after it, so a fork at N
-- starts from the scope at N. Summaries change no scope: their rows hold NULL.
-- Histories written before this migration have no scope: they keep their index as it was.
ALTER TABLE contexts ADD COLUMN scope text[] NOT NULL DEFAULT '{}';

ALTER TABLE context_versions ADD COLUMN scope text[];
