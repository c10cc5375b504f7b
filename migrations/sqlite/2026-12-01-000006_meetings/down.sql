DROP TABLE registration_meetings;
