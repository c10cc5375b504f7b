-- Refused (NOT NULL) while a handoff about an intake exists: its provision records are kept.
DROP INDEX handoffs_intake;
ALTER TABLE handoffs DROP CONSTRAINT handoffs_one_case;
ALTER TABLE handoffs ALTER COLUMN registration_version SET NOT NULL;
ALTER TABLE handoffs ALTER COLUMN registration_id SET NOT NULL;
ALTER TABLE handoffs DROP COLUMN intake_id;
