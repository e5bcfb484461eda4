-- SQLite has no trigram index: `search=` scans the organization's rows
-- (through the organization prefix of the list indexes). The other filters
-- are index-backed.
CREATE INDEX users_list_active ON users (organization_id, is_apiuser, active, mfa_enabled);
CREATE INDEX user_roles_user_tier ON user_roles (user_id, tier);
