-- Meetings around a registration (顔合わせ・見学・体験利用・担当者会議): when, which organizations
-- took part, whether the person and the family did, the facility concerned, and the outcome,
-- all as codes: no free text, so no personal data beyond what the registration holds.
CREATE TABLE registration_meetings (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    kind TEXT NOT NULL,
    held_on DATE NOT NULL,
    participants TEXT NOT NULL,
    person_attended BOOLEAN NOT NULL,
    family_attended BOOLEAN NOT NULL,
    facility_id TEXT REFERENCES organizations (id),
    outcome TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES organizations (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX registration_meetings_registration ON registration_meetings (registration_id, held_on);
