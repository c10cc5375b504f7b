DROP INDEX registrations_review_due;
ALTER TABLE registrations DROP COLUMN review_due;
ALTER TABLE registrations DROP COLUMN reviewed_on;
DROP TABLE municipality_settings;
