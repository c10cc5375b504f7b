DROP INDEX handoffs_municipality;
ALTER TABLE handoffs DROP COLUMN ward;
ALTER TABLE handoffs DROP COLUMN municipality_code;
ALTER TABLE organizations DROP COLUMN scope;
