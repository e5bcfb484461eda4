-- SCIM: what an identity provider wrote that Tessera's own columns cannot
-- hold (the parts of `name`, the types and order of `emails`), as JSON.
ALTER TABLE users ADD COLUMN scim_profile TEXT;
-- SCIM: the identifier a provisioning client keeps for a team (Group).
ALTER TABLE teams ADD COLUMN external_id TEXT;
-- IdPs look users up by externalId before writing them.
CREATE INDEX users_organization_external_id ON users (organization_id, external_id);
