DROP TABLE emergency_intakes;
