-- The consultation office responsible for a registration (担当の相談支援事業所). received_by
-- stays who took the form; the responsible office is assigned (a kikan takes a form for a person
-- without an office and assigns one later, 別紙2-2) and moves when offices change. It is the
-- office that reads and changes the registration as its own. office_assignments keeps every
-- assignment in order (office_id NULL: none responsible).
ALTER TABLE registrations ADD COLUMN responsible_office TEXT REFERENCES organizations (id);
CREATE TABLE office_assignments (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    seq INTEGER NOT NULL,
    office_id TEXT REFERENCES organizations (id),
    assigned_by TEXT NOT NULL REFERENCES organizations (id),
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (registration_id, seq)
);
CREATE INDEX registrations_responsible_office ON registrations (responsible_office);
-- A registration an office took is that office's from the start.
UPDATE registrations SET responsible_office = received_by
WHERE received_by IN (SELECT id FROM organizations WHERE role = 'consultation_office');
INSERT INTO office_assignments (registration_id, seq, office_id, assigned_by, assigned_at)
SELECT id, 1, responsible_office, received_by, created_at FROM registrations
WHERE responsible_office IS NOT NULL;
