DROP INDEX provision_records_unsealed;
DROP INDEX access_records_unsealed;
CREATE OR REPLACE FUNCTION chained_records_only() RETURNS trigger AS $$
BEGIN
    IF NEW.chain_seq IS NULL OR NEW.chain_hash IS NULL THEN
        RAISE EXCEPTION '% takes chained rows only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chained_records_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
       AND OLD.chain_seq IS NOT NULL
       AND to_jsonb(NEW) - 'chain_hash' = to_jsonb(OLD) - 'chain_hash' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
