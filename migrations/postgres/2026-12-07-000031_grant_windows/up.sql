-- Grants with an end (and an optional start): a role assignment is in
-- force from `starts` (NULL: since it was made) until `expires` (NULL: until
-- it is removed). Authorization ignores an assignment outside its window at
-- request time; the scheduler removes expired ones, found by the index.
ALTER TABLE user_roles ADD COLUMN starts TIMESTAMP NULL;
ALTER TABLE user_roles ADD COLUMN expires TIMESTAMP NULL;
CREATE INDEX user_roles_expires ON user_roles (expires) WHERE expires IS NOT NULL;
-- Dormant accounts: people with neither a login nor an API-key use for
-- `dormant_after_days` are flagged in the access review, and deactivated by
-- the scheduler when `dormant_action` is 'deactivate'.
ALTER TABLE organizations ADD COLUMN dormant_after_days INTEGER NULL;
ALTER TABLE organizations ADD COLUMN dormant_action TEXT NOT NULL DEFAULT 'flag';
