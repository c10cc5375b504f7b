-- The keys a registration is found by during an emergency call (src/domain/search_keys.rs):
-- its folded reading and name, birth date and phone numbers, one row each, written in the
-- transaction that writes the registration. Lookups go by (kind, key) or a key prefix; the
-- primary key is that index. COLLATE "C" orders keys by code point, as SQLite does, so a
-- prefix is one range of the index whatever the database's locale. Registrations stored
-- before this table are given their keys when the server starts.
CREATE TABLE registration_search_keys (
    kind TEXT NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    PRIMARY KEY (kind, key, registration_id)
);
CREATE INDEX registration_search_keys_by_registration
    ON registration_search_keys (registration_id);
