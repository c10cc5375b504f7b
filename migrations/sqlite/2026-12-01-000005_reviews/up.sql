-- Reviews (見直し): every registration whose consent is in force is due for review a set number
-- of months (12 unless its municipality sets another in municipality_settings) after it was last
-- reviewed: reviewed_on is the day in Japan of its last submission, change notification, new
-- consent or recorded review. review_due is NULL once the consent is withdrawn.
CREATE TABLE municipality_settings (
    municipality_code TEXT PRIMARY KEY NOT NULL,
    review_interval_months INTEGER NOT NULL CHECK (review_interval_months BETWEEN 1 AND 60),
    updated_at TIMESTAMP NOT NULL
);
ALTER TABLE registrations ADD COLUMN reviewed_on DATE;
ALTER TABLE registrations ADD COLUMN review_due DATE;
-- Registrations written before: due twelve months after their last change, by the date in Japan.
UPDATE registrations SET reviewed_on = date(updated_at, '+9 hours');
UPDATE registrations SET review_due = date(reviewed_on, '+12 months') WHERE status = 'active';
CREATE INDEX registrations_review_due ON registrations (review_due);
