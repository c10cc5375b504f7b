DROP TRIGGER provision_records_no_delete;
DROP TRIGGER provision_records_no_update;
DROP TABLE provision_records;
DROP TABLE handoff_responses;
DROP TABLE handoff_packets;
DROP TABLE handoffs;
DROP TABLE signing_keys;
