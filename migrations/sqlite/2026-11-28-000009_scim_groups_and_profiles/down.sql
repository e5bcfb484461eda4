DROP INDEX users_organization_external_id;
ALTER TABLE teams DROP COLUMN external_id;
ALTER TABLE users DROP COLUMN scim_profile;
