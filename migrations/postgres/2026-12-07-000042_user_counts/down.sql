DROP TRIGGER user_counts_update ON users;
DROP TRIGGER user_counts_delete ON users;
DROP TRIGGER user_counts_insert ON users;
DROP FUNCTION user_counts_moved();
DROP FUNCTION user_counts_deleted();
DROP FUNCTION user_counts_inserted();
DROP TABLE user_counts;
