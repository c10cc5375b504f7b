-- A handoff is about a registration (registration_id and registration_version) or about an
-- emergency intake of a person who never registered (intake_id), never both. Provision records
-- keep the case in registration_id: a registration id (reg_…) or an intake id (int_…).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE handoffs_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    registration_version INTEGER,
    intake_id TEXT REFERENCES emergency_intakes (id),
    sender_id TEXT NOT NULL REFERENCES organizations (id),
    recipient_id TEXT NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL CHECK (legal_basis IN ('consent', 'vital_interest')),
    categories TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('composed', 'jws', 'xml')),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((registration_id IS NULL) = (registration_version IS NULL)),
    CHECK ((registration_id IS NULL) <> (intake_id IS NULL))
);
INSERT INTO handoffs_rebuilt (id, registration_id, registration_version, intake_id, sender_id,
    recipient_id, purpose, legal_basis, categories, status, version, document, content_sha256,
    origin, expires_at, created_at, updated_at)
SELECT id, registration_id, registration_version, NULL, sender_id, recipient_id, purpose,
    legal_basis, categories, status, version, document, content_sha256, origin, expires_at,
    created_at, updated_at
FROM handoffs;
DROP TABLE handoffs;
ALTER TABLE handoffs_rebuilt RENAME TO handoffs;
CREATE INDEX handoffs_sender ON handoffs (sender_id, created_at);
CREATE INDEX handoffs_recipient ON handoffs (recipient_id, created_at);
CREATE INDEX handoffs_registration ON handoffs (registration_id);
CREATE INDEX handoffs_intake ON handoffs (intake_id);
CREATE INDEX handoffs_created_at ON handoffs (created_at);
COMMIT;
PRAGMA foreign_keys = ON;
