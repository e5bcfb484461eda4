-- Access requests (issue #27): a person asks for a role at a place for a
-- while; someone who could grant it there approves (which adds a
-- time-bound role assignment in the same transaction) or denies.

-- The longest a role may be requested for, in seconds; NULL: no limit of
-- the role's own (the service's global bound still applies).
ALTER TABLE roles ADD COLUMN max_duration BIGINT NULL;

CREATE TABLE access_requests (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- A request is its requester's: it goes with the user.
    requester_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tier TEXT NOT NULL,
    team_id TEXT NULL REFERENCES teams (id) ON DELETE CASCADE,
    target_id TEXT NULL REFERENCES targets (id) ON DELETE CASCADE,
    -- How long the grant lasts once approved, in seconds.
    duration BIGINT NOT NULL,
    reason TEXT NOT NULL,
    -- PENDING, APPROVED, DENIED or CANCELLED; a PENDING request past
    -- `expires` reads as EXPIRED (no job needed).
    status TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    -- Until when the request may be decided.
    expires TIMESTAMP NOT NULL,
    decided TIMESTAMP NULL,
    -- Who decided, as a snapshot (deleting that user keeps the history).
    decided_by_id TEXT NULL,
    decided_by_email TEXT NULL,
    decided_by_name TEXT NULL,
    comment TEXT NULL,
    -- The window of the role assignment an approval added.
    grant_starts TIMESTAMP NULL,
    grant_expires TIMESTAMP NULL,
    CHECK (
        (tier = 'account' AND team_id IS NULL AND target_id IS NULL)
        OR (tier = 'team' AND team_id IS NOT NULL AND target_id IS NULL)
        OR (tier = 'scope' AND team_id IS NULL AND target_id IS NOT NULL)
    )
);
CREATE INDEX access_requests_org ON access_requests (organization_id, created, id);
CREATE INDEX access_requests_requester ON access_requests (requester_id, created);
CREATE INDEX access_requests_role ON access_requests (role_id);
CREATE INDEX access_requests_team ON access_requests (team_id);
CREATE INDEX access_requests_target ON access_requests (target_id);
