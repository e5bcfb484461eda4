ALTER TABLE teams DROP COLUMN external_id;
ALTER TABLE users DROP COLUMN scim_profile;
