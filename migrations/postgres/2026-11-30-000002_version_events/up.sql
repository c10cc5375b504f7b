-- What each version of a registration records: its creation, a change notification, a consent
-- withdrawal or a new consent (the access record's action of the same write).
ALTER TABLE registration_versions ADD COLUMN event TEXT NOT NULL DEFAULT 'update';
UPDATE registration_versions SET event = 'create' WHERE version = 1;
-- A version that first records a withdrawal date was a withdrawal.
UPDATE registration_versions AS v SET event = 'withdraw_consent'
WHERE v.version > 1
  AND (v.document::jsonb -> 'consent' ->> 'withdrawn_on') IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM registration_versions AS previous
    WHERE previous.registration_id = v.registration_id
      AND previous.version = v.version - 1
      AND (previous.document::jsonb -> 'consent' ->> 'withdrawn_on') IS NOT NULL
  );
