ALTER TABLE registration_versions DROP COLUMN event;
