DROP INDEX users_organization_scim_user_name;
ALTER TABLE users DROP COLUMN scim_user_name;
