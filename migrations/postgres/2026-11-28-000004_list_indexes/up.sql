-- Substring search (`search=`) is `lower(column) LIKE '%term%'`: trigram
-- indexes serve it on large organizations. pg_trgm is a trusted extension
-- (PostgreSQL 13+): a database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm ON users USING gin (lower(name) gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (lower(email) gin_trgm_ops);
-- ordering=email (the other orderings have theirs since the first migration).
CREATE INDEX users_list_email ON users (organization_id, is_apiuser, email, id);
-- Boolean filters and the state filter, within an organization's list.
CREATE INDEX users_list_active ON users (organization_id, is_apiuser, is_system, active, mfa_enabled);
-- no_access: "has a role that is not at account tier".
CREATE INDEX user_roles_user_tier ON user_roles (user_id, tier);
