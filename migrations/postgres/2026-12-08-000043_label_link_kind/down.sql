DROP TRIGGER users_kind_to_labels ON users;
DROP FUNCTION users_kind_to_labels();
DROP TRIGGER user_labels_kind ON user_labels;
DROP FUNCTION user_labels_kind();
DROP INDEX user_labels_label;
ALTER TABLE user_labels DROP COLUMN is_system, DROP COLUMN is_apiuser;
CREATE INDEX user_labels_label ON user_labels (label_id, user_id);
