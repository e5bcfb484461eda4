-- SCIM: the identifier a provisioning client (IdP) keeps for a user.
ALTER TABLE users ADD COLUMN external_id TEXT;
