DROP TRIGGER checkpoints_no_change ON checkpoints;
DROP FUNCTION checkpoints_append_only();
DROP TABLE checkpoints;
DROP TRIGGER provision_records_chained ON provision_records;
DROP TRIGGER provision_records_no_change ON provision_records;
DROP TRIGGER access_records_chained ON access_records;
DROP TRIGGER access_records_no_change ON access_records;
DROP FUNCTION chained_records_only();
DROP FUNCTION chained_records_append_only();
DROP INDEX provision_records_chain_seq;
DROP INDEX access_records_chain_seq;
DROP TABLE chain_head;
ALTER TABLE provision_records DROP COLUMN chain_hash;
ALTER TABLE provision_records DROP COLUMN chain_seq;
ALTER TABLE access_records DROP COLUMN chain_hash;
ALTER TABLE access_records DROP COLUMN chain_seq;
CREATE FUNCTION access_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_records is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_records_no_change BEFORE UPDATE OR DELETE ON access_records
    FOR EACH ROW EXECUTE FUNCTION access_records_append_only();
CREATE FUNCTION provision_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'provision_records is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER provision_records_no_change BEFORE UPDATE OR DELETE ON provision_records
    FOR EACH ROW EXECUTE FUNCTION provision_records_append_only();
