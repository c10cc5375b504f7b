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
-- are computed at the next start (SQL has no SHA-256 here). Only rows numbered now are ever
-- hashed afterwards: a row added later without a place stays outside the chain, and
-- `kyoten audit verify` names it.
DROP TRIGGER access_records_no_update;
DROP TRIGGER provision_records_no_update;
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
);
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
CREATE TRIGGER access_records_no_update BEFORE UPDATE ON access_records
WHEN NOT (OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
          AND OLD.chain_seq IS NOT NULL AND NEW.chain_seq IS OLD.chain_seq
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at
          AND NEW.organization_id IS OLD.organization_id AND NEW.action IS OLD.action
          AND NEW.record_type IS OLD.record_type AND NEW.record_id IS OLD.record_id
          AND NEW.categories IS OLD.categories AND NEW.purpose IS OLD.purpose)
BEGIN
    SELECT RAISE(ABORT, 'access_records is append-only');
END;
CREATE TRIGGER access_records_chained BEFORE INSERT ON access_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'access_records takes chained rows only');
END;
CREATE TRIGGER provision_records_no_update BEFORE UPDATE ON provision_records
WHEN NOT (OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
          AND OLD.chain_seq IS NOT NULL AND NEW.chain_seq IS OLD.chain_seq
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.kind IS OLD.kind
          AND NEW.handoff_id IS OLD.handoff_id AND NEW.registration_id IS OLD.registration_id
          AND NEW.sender_id IS OLD.sender_id AND NEW.recipient_id IS OLD.recipient_id
          AND NEW.purpose IS OLD.purpose AND NEW.categories IS OLD.categories
          AND NEW.legal_basis IS OLD.legal_basis AND NEW.consent_ref IS OLD.consent_ref
          AND NEW.form IS OLD.form AND NEW.sha256 IS OLD.sha256 AND NEW.kid IS OLD.kid)
BEGIN
    SELECT RAISE(ABORT, 'provision_records is append-only');
END;
CREATE TRIGGER provision_records_chained BEFORE INSERT ON provision_records
WHEN NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'provision_records takes chained rows only');
END;

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
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints is append-only');
END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints is append-only');
END;
