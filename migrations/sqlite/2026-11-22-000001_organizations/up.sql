-- Organizations taking part in the exchange, one role each, and their API keys.
-- Keys are stored only as SHA-256 hashes of the random secret; the secret is shown once.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('city', 'kikan', 'hub', 'consultation_office', 'facility')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE INDEX api_keys_organization ON api_keys (organization_id);
