DROP TABLE facility_versions;
