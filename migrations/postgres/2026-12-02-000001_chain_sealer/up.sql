-- Records wait for their place: a write no longer takes the chain's head row (which every
-- concurrent writer queued on until commit). An access or provision record arrives *pending*
-- (chain_seq NULL, chain_hash 'pending') and the sealer (src/store/chain/seal.rs) gives it its
-- place and hash moments after its commit, holding the head only for its own short
-- transaction. The chain's definition is unchanged: places 1, 2, 3 … in the order records were
-- sealed, each hash over the previous one and the record's canonical bytes.
--
-- A row without a place that is not marked pending was not written by the exchange: it stays
-- outside the chain and `kyoten audit verify` names it, as before.
CREATE OR REPLACE FUNCTION chained_records_append_only() RETURNS trigger AS $$
BEGIN
    -- A hash filled in once for a row numbered by the chain's first migration.
    IF TG_OP = 'UPDATE' AND OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
       AND OLD.chain_seq IS NOT NULL
       AND to_jsonb(NEW) - 'chain_hash' = to_jsonb(OLD) - 'chain_hash' THEN
        RETURN NEW;
    END IF;
    -- A pending row sealed: its place and hash given once, nothing else changed.
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND OLD.chain_hash = 'pending'
       AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash ~ '^[0-9a-f]{64}$'
       AND to_jsonb(NEW) - 'chain_hash' - 'chain_seq'
           = to_jsonb(OLD) - 'chain_hash' - 'chain_seq' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION chained_records_only() RETURNS trigger AS $$
BEGIN
    IF NEW.chain_seq IS NULL AND NEW.chain_hash = 'pending' THEN
        RETURN NEW;
    END IF;
    IF NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL OR NEW.chain_hash = 'pending' THEN
        RAISE EXCEPTION '% takes chained or pending rows only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- What the sealer reads: the rows without a place, oldest first.
CREATE INDEX access_records_unsealed ON access_records (at, id) WHERE chain_seq IS NULL;
CREATE INDEX provision_records_unsealed ON provision_records (at, id) WHERE chain_seq IS NULL;
