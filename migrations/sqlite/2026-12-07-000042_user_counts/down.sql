DROP TRIGGER user_counts_update;
DROP TRIGGER user_counts_delete;
DROP TRIGGER user_counts_insert;
DROP TABLE user_counts;
