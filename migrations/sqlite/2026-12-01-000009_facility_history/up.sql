-- The history of each facility capability record: every uploaded version, kept, so that the
-- yearly report counts facilities as they stood at the end of the fiscal year, not as they
-- stand today. Vacancy figures change too often to keep and no report reads them: a version
-- is recorded for each upload (PUT), not for each vacancy update.
CREATE TABLE facility_versions (
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (facility_id, version)
);
CREATE INDEX facility_versions_recorded ON facility_versions (recorded_at);

-- Records uploaded before the history was kept: their current document stands for them
-- from the day the record was created (the only day known for it).
INSERT INTO facility_versions (facility_id, version, document, recorded_at)
SELECT id, version, document, created_at FROM facilities;
