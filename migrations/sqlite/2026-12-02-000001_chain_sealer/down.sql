DROP TRIGGER provision_records_chained;
CREATE TRIGGER provision_records_chained BEFORE INSERT ON provision_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'provision_records takes chained rows only');
END;
DROP TRIGGER access_records_chained;
CREATE TRIGGER access_records_chained BEFORE INSERT ON access_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'access_records takes chained rows only');
END;
DROP INDEX provision_records_unsealed;
DROP INDEX access_records_unsealed;
