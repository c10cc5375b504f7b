DROP TABLE notices;
DROP INDEX handoffs_shared;
ALTER TABLE handoffs DROP COLUMN superseded_by;
ALTER TABLE handoffs DROP COLUMN requested_categories;
