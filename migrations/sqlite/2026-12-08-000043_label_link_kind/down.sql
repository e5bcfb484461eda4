DROP TRIGGER users_kind_to_labels;
DROP TRIGGER user_labels_kind_moved;
DROP TRIGGER user_labels_kind;
DROP INDEX user_labels_label;
ALTER TABLE user_labels DROP COLUMN is_system;
ALTER TABLE user_labels DROP COLUMN is_apiuser;
CREATE INDEX user_labels_label ON user_labels (label_id, user_id);
