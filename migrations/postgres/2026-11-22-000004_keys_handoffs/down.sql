DROP TRIGGER provision_records_no_change ON provision_records;
DROP FUNCTION provision_records_append_only();
DROP TABLE provision_records;
DROP TABLE handoff_responses;
DROP TABLE handoff_packets;
DROP TABLE handoffs;
DROP TABLE signing_keys;
