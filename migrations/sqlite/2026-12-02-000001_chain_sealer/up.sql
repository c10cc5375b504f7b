-- The rows without a place, oldest first: what `kyoten audit verify` looks for (rows slipped in
-- behind the exchange's back) without reading the whole table. On PostgreSQL the same index
-- serves the sealer (records arrive pending there and are sealed moments after their commit);
-- on SQLite the writer thread gives every record its place before it commits.
CREATE INDEX access_records_unsealed ON access_records (at, id) WHERE chain_seq IS NULL;
CREATE INDEX provision_records_unsealed ON provision_records (at, id) WHERE chain_seq IS NULL;

-- `pending` is never a hash: a row claiming it is refused, as on PostgreSQL.
DROP TRIGGER access_records_chained;
CREATE TRIGGER access_records_chained BEFORE INSERT ON access_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL OR NEW.chain_hash = 'pending'
BEGIN
    SELECT RAISE(ABORT, 'access_records takes chained rows only');
END;
DROP TRIGGER provision_records_chained;
CREATE TRIGGER provision_records_chained BEFORE INSERT ON provision_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL OR NEW.chain_hash = 'pending'
BEGIN
    SELECT RAISE(ABORT, 'provision_records takes chained rows only');
END;
