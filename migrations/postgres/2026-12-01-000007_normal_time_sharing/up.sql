-- Normal-time sharing (平時の情報共有): the categories the sender chose (NULL: every category
-- the consent permits), so that the copy re-sent after a change of the registration carries
-- the same choice; and the packet that replaced a shared copy.
ALTER TABLE handoffs ADD COLUMN requested_categories TEXT;
ALTER TABLE handoffs ADD COLUMN superseded_by TEXT;
CREATE INDEX handoffs_shared ON handoffs (registration_id, purpose, status);

-- What the exchange tells an organization about packets addressed to it: a shared copy
-- superseded by a re-sent one, a packet revoked when the consent was withdrawn or no longer
-- permits it. Ids and codes only: no personal data.
CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    handoff_id TEXT NOT NULL REFERENCES handoffs (id),
    replaced_by TEXT REFERENCES handoffs (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notices_organization ON notices (organization_id, created_at, id);
