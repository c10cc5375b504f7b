-- Keys that sign and verify packets: the exchange's own (organization_id NULL, with its
-- private key) and the public keys organizations registered. kid = RFC 7638 thumbprint; the
-- algorithm is pinned per key; a retired key neither signs nor verifies.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT REFERENCES organizations (id),
    alg TEXT NOT NULL,
    jwk TEXT NOT NULL,
    certificate TEXT,
    private_pem TEXT,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
CREATE INDEX signing_keys_organization ON signing_keys (organization_id);

-- Handoff packets: the JSON form and the lifecycle state.
CREATE TABLE handoffs (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    registration_version INTEGER NOT NULL,
    sender_id TEXT NOT NULL REFERENCES organizations (id),
    recipient_id TEXT NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL CHECK (legal_basis IN ('consent', 'vital_interest')),
    categories TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('composed', 'jws', 'xml')),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX handoffs_sender ON handoffs (sender_id, created_at);
CREATE INDEX handoffs_recipient ON handoffs (recipient_id, created_at);
CREATE INDEX handoffs_registration ON handoffs (registration_id);
CREATE INDEX handoffs_created_at ON handoffs (created_at);

-- The signed forms of a packet exactly as they are served, with the key that signed each.
CREATE TABLE handoff_packets (
    handoff_id TEXT NOT NULL REFERENCES handoffs (id),
    form TEXT NOT NULL CHECK (form IN ('jws', 'xml')),
    bytes TEXT NOT NULL,
    kid TEXT NOT NULL,
    PRIMARY KEY (handoff_id, form)
);

-- Responses to a handoff, in order (FHIR Task business status).
CREATE TABLE handoff_responses (
    handoff_id TEXT NOT NULL REFERENCES handoffs (id),
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    responder_id TEXT NOT NULL REFERENCES organizations (id),
    document TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (handoff_id, seq)
);

-- Provision records (提供記録, APPI 第29条/第30条): one for every packet provided and one for
-- every packet received. Never updated or deleted.
CREATE TABLE provision_records (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('provided', 'received')),
    handoff_id TEXT NOT NULL REFERENCES handoffs (id),
    registration_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    categories TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    consent_ref TEXT NOT NULL,
    form TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kid TEXT NOT NULL
);
CREATE INDEX provision_records_registration ON provision_records (registration_id, at);
CREATE INDEX provision_records_at ON provision_records (at);
CREATE FUNCTION provision_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'provision_records is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER provision_records_no_change BEFORE UPDATE OR DELETE ON provision_records
    FOR EACH ROW EXECUTE FUNCTION provision_records_append_only();
