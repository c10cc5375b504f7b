DROP INDEX registrations_responsible_office;
DROP TABLE office_assignments;
ALTER TABLE registrations DROP COLUMN responsible_office;
