-- SCIM `userName` as the identity provider sent it (Okta and AD-synced
-- directories send `jdoe`, not an e-mail address); unset, a user's userName
-- is its e-mail. Unique in an organization, case-insensitively (SCIM's
-- userName is not case-exact), which also serves the IdPs' `userName eq`
-- lookups.
ALTER TABLE users ADD COLUMN scim_user_name TEXT;
CREATE UNIQUE INDEX users_organization_scim_user_name
    ON users (organization_id, lower(scim_user_name)) WHERE scim_user_name IS NOT NULL;
