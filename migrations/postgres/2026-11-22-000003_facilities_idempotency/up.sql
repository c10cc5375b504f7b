-- Facility capability records: the document as uploaded (with the derived survey_group), and
-- one row per offered service with the columns a search filters on. Lists are stored as
-- ",a,b," so that one LIKE '%,code,%' finds a member on both backends.
CREATE TABLE facilities (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    ward TEXT,
    survey_group TEXT NOT NULL CHECK (survey_group IN ('A', 'B', 'C', 'other')),
    hub_registered BOOLEAN NOT NULL,
    hub_functions TEXT NOT NULL,
    emergency_room BOOLEAN NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE facility_services (
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    position INTEGER NOT NULL,
    service_type TEXT NOT NULL,
    variant TEXT,
    capacity INTEGER NOT NULL,
    vacancies INTEGER NOT NULL,
    vacancy_as_of TIMESTAMP NOT NULL,
    targets TEXT NOT NULL,
    medical_care TEXT NOT NULL,
    behavioral_support BOOLEAN NOT NULL,
    -- The record's own search columns, repeated on each of its services so that a search
    -- reads this table alone.
    survey_group TEXT NOT NULL,
    ward TEXT,
    hub_functions TEXT,
    emergency_room BOOLEAN NOT NULL,
    PRIMARY KEY (facility_id, position)
);

-- No secondary index on the service columns: a search walks facility_services in key
-- (facility id) order and stops when a page is full, which beats an index on a column that
-- matches half the rows followed by a sort.

-- The first response to a POST carrying an Idempotency-Key, replayed to its retries. status is
-- NULL while the first request is still being answered.
CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body BYTEA,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, key)
);

-- The ward of the registrant's address, for lists and the yearly report.
ALTER TABLE registrations ADD COLUMN ward TEXT;
CREATE INDEX registrations_ward ON registrations (ward);
CREATE INDEX registrations_updated_at ON registrations (updated_at);

-- The access record is append-only, in the database itself: no UPDATE or DELETE gets through.
CREATE FUNCTION access_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_records is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_records_no_change BEFORE UPDATE OR DELETE ON access_records
    FOR EACH ROW EXECUTE FUNCTION access_records_append_only();
