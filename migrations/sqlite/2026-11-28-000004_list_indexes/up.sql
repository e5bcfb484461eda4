-- SQLite has no trigram index: `search=` scans the organization's rows
-- (through the organization prefix of the list indexes). The other filters
-- are index-backed.
-- ordering=email (the other orderings have theirs since the first migration).
CREATE INDEX users_list_email ON users (organization_id, is_apiuser, email, id);
CREATE INDEX users_list_active ON users (organization_id, is_apiuser, is_system, active, mfa_enabled);
CREATE INDEX user_roles_user_tier ON user_roles (user_id, tier);
