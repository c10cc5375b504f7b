DROP TRIGGER access_records_no_change ON access_records;
DROP FUNCTION access_records_append_only();
DROP INDEX registrations_updated_at;
DROP INDEX registrations_ward;
ALTER TABLE registrations DROP COLUMN ward;
DROP TABLE idempotency_keys;
DROP TABLE facility_services;
DROP TABLE facilities;
