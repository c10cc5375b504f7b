-- Registrations (緊急時利用登録届): the current version and every version before it, and the
-- append-only access record of who read or wrote whose data (docs/spec/consent.md §10).
CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    received_by TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'consent_withdrawn')),
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE registration_versions (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (registration_id, version)
);

CREATE TABLE access_records (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    categories TEXT NOT NULL,
    purpose TEXT NOT NULL
);

CREATE INDEX registrations_received_by ON registrations (received_by);
CREATE INDEX access_records_record ON access_records (record_type, record_id);
CREATE INDEX access_records_at ON access_records (at);
