DROP INDEX api_keys_organization;
DROP TABLE api_keys;
DROP TABLE organizations;
