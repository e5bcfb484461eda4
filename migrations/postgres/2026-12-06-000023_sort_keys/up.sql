-- Case-insensitive ordering by name and e-mail, the same on both backends:
-- each row keeps its sort keys (the value in lower case without accents, computed by
-- Tessera on every write: domain::user::sort_key), compared by code point (COLLATE "C") as SQLite
-- compares them, whatever the database's collation. The startup after this
-- migration recomputes every key the way Tessera does.
ALTER TABLE users ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE users SET name_key = lower(name), email_key = lower(email);
ALTER TABLE users ALTER COLUMN name_key DROP DEFAULT;
ALTER TABLE users ALTER COLUMN email_key DROP DEFAULT;
DROP INDEX users_list_name;
DROP INDEX users_list_email;
CREATE INDEX users_list_name ON users (organization_id, is_apiuser, name_key, id);
CREATE INDEX users_list_email ON users (organization_id, is_apiuser, email_key, id);
