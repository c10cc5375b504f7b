-- Municipal scope: the municipalities (and wards) an organization coordinates for, as text
-- `041009,041017/青葉区`; NULL is the whole deployment.
ALTER TABLE organizations ADD COLUMN scope TEXT;

-- The municipality and ward of the person a handoff is about, so that a coordinator's list
-- keeps to its scope.
ALTER TABLE handoffs ADD COLUMN municipality_code TEXT;
ALTER TABLE handoffs ADD COLUMN ward TEXT;
UPDATE handoffs SET
    municipality_code = COALESCE(
        (SELECT r.municipality_code FROM registrations r WHERE r.id = handoffs.registration_id),
        (SELECT i.municipality_code FROM emergency_intakes i WHERE i.id = handoffs.intake_id)),
    ward = COALESCE(
        (SELECT r.ward FROM registrations r WHERE r.id = handoffs.registration_id),
        (SELECT i.ward FROM emergency_intakes i WHERE i.id = handoffs.intake_id));
CREATE INDEX handoffs_municipality ON handoffs (municipality_code, ward);
