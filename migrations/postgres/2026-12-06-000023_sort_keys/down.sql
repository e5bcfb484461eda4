DROP INDEX users_list_name;
DROP INDEX users_list_email;
ALTER TABLE users DROP COLUMN name_key;
ALTER TABLE users DROP COLUMN email_key;
CREATE INDEX users_list_name ON users (organization_id, is_apiuser, name, id);
CREATE INDEX users_list_email ON users (organization_id, is_apiuser, email, id);
DELETE FROM settings WHERE key = 'user_sort_keys';
