-- Tamper-evident records: every access record and every provision record takes a place in one
-- hash chain (chain_seq 1, 2, 3 … across both tables; chain_hash = SHA-256 of the previous
-- hash and the row's canonical bytes, src/store/chain.rs). chain_head holds the end of the
-- chain; its row is what concurrent writers queue on. checkpoints holds the exchange's
-- signatures over the head (kyoten audit checkpoint / verify).
ALTER TABLE access_records ADD COLUMN chain_seq BIGINT;
ALTER TABLE access_records ADD COLUMN chain_hash TEXT;
ALTER TABLE provision_records ADD COLUMN chain_seq BIGINT;
ALTER TABLE provision_records ADD COLUMN chain_hash TEXT;

-- Records written before the chain existed get their places here, in time order; their hashes
-- are computed at the next start (so that SQLite and PostgreSQL share one implementation of
-- the canonical bytes). Only rows numbered now are ever hashed afterwards: a row added later
-- without a place stays outside the chain, and `kyoten audit verify` names it.
DROP TRIGGER access_records_no_change ON access_records;
DROP FUNCTION access_records_append_only();
DROP TRIGGER provision_records_no_change ON provision_records;
DROP FUNCTION provision_records_append_only();
CREATE TABLE chain_backfill (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tbl, id)
);
INSERT INTO chain_backfill (tbl, id, n)
SELECT tbl, id, ROW_NUMBER() OVER (ORDER BY at, tbl, id) FROM (
    SELECT 'access_records' AS tbl, id, at FROM access_records
    UNION ALL
    SELECT 'provision_records' AS tbl, id, at FROM provision_records
) AS records;
UPDATE access_records SET chain_seq = (
    SELECT n FROM chain_backfill b WHERE b.tbl = 'access_records' AND b.id = access_records.id
);
UPDATE provision_records SET chain_seq = (
    SELECT n FROM chain_backfill b WHERE b.tbl = 'provision_records' AND b.id = provision_records.id
);

-- The end of the chain: one row. chain_hash is NULL only while numbered rows wait for their
-- hashes; the first start computes them before anything is appended.
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    chain_hash TEXT,
    last_id TEXT,
    access_count BIGINT NOT NULL,
    access_last_id TEXT,
    provision_count BIGINT NOT NULL,
    provision_last_id TEXT
);
INSERT INTO chain_head (id, seq, chain_hash, access_count, provision_count)
SELECT 1, COUNT(*),
       CASE WHEN COUNT(*) = 0
            THEN '0000000000000000000000000000000000000000000000000000000000000000' END,
       (SELECT COUNT(*) FROM access_records),
       (SELECT COUNT(*) FROM provision_records)
FROM chain_backfill;
DROP TABLE chain_backfill;

CREATE UNIQUE INDEX access_records_chain_seq ON access_records (chain_seq);
CREATE UNIQUE INDEX provision_records_chain_seq ON provision_records (chain_seq);

-- Still append-only; the one change let through is the hash of a row numbered above, filled in
-- once. A new row must arrive with its place and its hash.
CREATE FUNCTION chained_records_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
       AND OLD.chain_seq IS NOT NULL
       AND to_jsonb(NEW) - 'chain_hash' = to_jsonb(OLD) - 'chain_hash' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION chained_records_only() RETURNS trigger AS $$
BEGIN
    IF NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL THEN
        RAISE EXCEPTION '% takes chained rows only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_records_no_change BEFORE UPDATE OR DELETE ON access_records
    FOR EACH ROW EXECUTE FUNCTION chained_records_append_only();
CREATE TRIGGER access_records_chained BEFORE INSERT ON access_records
    FOR EACH ROW EXECUTE FUNCTION chained_records_only();
CREATE TRIGGER provision_records_no_change BEFORE UPDATE OR DELETE ON provision_records
    FOR EACH ROW EXECUTE FUNCTION chained_records_append_only();
CREATE TRIGGER provision_records_chained BEFORE INSERT ON provision_records
    FOR EACH ROW EXECUTE FUNCTION chained_records_only();

-- Signed checkpoints: the head of the chain (seq, its record, its hash, the count and last
-- record of each table, the time) as a compact JWS (typ kyoten-checkpoint+jws) by the
-- exchange's signing key. Append-only.
CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    kid TEXT NOT NULL,
    jws TEXT NOT NULL
);
CREATE UNIQUE INDEX checkpoints_seq ON checkpoints (seq);
CREATE FUNCTION checkpoints_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'checkpoints is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER checkpoints_no_change BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION checkpoints_append_only();
