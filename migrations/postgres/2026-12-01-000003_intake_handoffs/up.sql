-- A handoff is about a registration (registration_id and registration_version) or about an
-- emergency intake of a person who never registered (intake_id), never both. Provision records
-- keep the case in registration_id: a registration id (reg_…) or an intake id (int_…).
ALTER TABLE handoffs ALTER COLUMN registration_id DROP NOT NULL;
ALTER TABLE handoffs ALTER COLUMN registration_version DROP NOT NULL;
ALTER TABLE handoffs ADD COLUMN intake_id TEXT REFERENCES emergency_intakes (id);
ALTER TABLE handoffs ADD CONSTRAINT handoffs_one_case CHECK (
    (registration_id IS NULL) = (registration_version IS NULL)
    AND (registration_id IS NULL) <> (intake_id IS NULL)
);
CREATE INDEX handoffs_intake ON handoffs (intake_id);
