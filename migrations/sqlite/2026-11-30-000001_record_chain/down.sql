DROP TRIGGER checkpoints_no_delete;
DROP TRIGGER checkpoints_no_update;
DROP TABLE checkpoints;
DROP TRIGGER provision_records_chained;
DROP TRIGGER provision_records_no_update;
DROP TRIGGER access_records_chained;
DROP TRIGGER access_records_no_update;
DROP INDEX provision_records_chain_seq;
DROP INDEX access_records_chain_seq;
DROP TABLE chain_head;
ALTER TABLE provision_records DROP COLUMN chain_hash;
ALTER TABLE provision_records DROP COLUMN chain_seq;
ALTER TABLE access_records DROP COLUMN chain_hash;
ALTER TABLE access_records DROP COLUMN chain_seq;
CREATE TRIGGER access_records_no_update BEFORE UPDATE ON access_records
BEGIN
    SELECT RAISE(ABORT, 'access_records is append-only');
END;
CREATE TRIGGER provision_records_no_update BEFORE UPDATE ON provision_records
BEGIN
    SELECT RAISE(ABORT, 'provision_records is append-only');
END;
