-- Emergency intakes (事前情報のない新規ケースの緊急時受付票): what a coordinator records when a
-- person who never registered needs emergency support. No name, address or phone is held.
-- `registration_id` is set once, when the intake becomes a registration.
CREATE TABLE emergency_intakes (
    id TEXT PRIMARY KEY NOT NULL,
    municipality_code TEXT NOT NULL,
    received_by TEXT NOT NULL REFERENCES organizations (id),
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ward TEXT,
    registration_id TEXT REFERENCES registrations (id)
);
CREATE INDEX emergency_intakes_by_taker ON emergency_intakes (received_by, created_at);
