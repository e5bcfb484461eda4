DROP TRIGGER user_search_delete;
DROP TRIGGER user_search_update;
DROP TRIGGER user_search_insert;
DROP TABLE user_search;
DROP TABLE user_search_keys;
