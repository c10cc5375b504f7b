DROP TABLE registration_search_keys;
