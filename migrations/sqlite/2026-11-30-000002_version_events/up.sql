-- What each version of a registration records: its creation, a change notification, a consent
-- withdrawal or a new consent (the access record's action of the same write).
ALTER TABLE registration_versions ADD COLUMN event TEXT NOT NULL DEFAULT 'update';
UPDATE registration_versions SET event = 'create' WHERE version = 1;
-- A version that first records a withdrawal date was a withdrawal.
UPDATE registration_versions SET event = 'withdraw_consent'
WHERE version > 1
  AND json_extract(document, '$.consent.withdrawn_on') IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM registration_versions AS previous
    WHERE previous.registration_id = registration_versions.registration_id
      AND previous.version = registration_versions.version - 1
      AND json_extract(previous.document, '$.consent.withdrawn_on') IS NOT NULL
  );
