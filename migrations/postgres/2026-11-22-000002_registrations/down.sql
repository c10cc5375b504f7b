DROP INDEX access_records_at;
DROP INDEX access_records_record;
DROP INDEX registrations_received_by;
DROP TABLE access_records;
DROP TABLE registration_versions;
DROP TABLE registrations;
