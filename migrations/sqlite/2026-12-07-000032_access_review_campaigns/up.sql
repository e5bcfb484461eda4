-- Access review campaigns (issue #27): a campaign snapshots the role
-- assignments in its scope into items, which reviewers decide (keep or
-- revoke). Items are snapshots: they keep the user's, role's, team's and
-- target's names and the permissions granted at creation, so they survive
-- later changes (no foreign key to users, roles or user_roles).
CREATE TABLE access_reviews (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- organization, team or role.
    scope TEXT NOT NULL,
    team_id TEXT,
    team_name TEXT,
    role_id TEXT,
    role_name TEXT,
    due TIMESTAMP NOT NULL,
    -- open or closed.
    status TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    created_by_id TEXT NOT NULL,
    created_by_email TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    closed TIMESTAMP,
    closed_by_id TEXT,
    closed_by_email TEXT,
    closed_by_name TEXT
);
-- Lists filter by status and page by creation time.
CREATE INDEX access_reviews_organization ON access_reviews (organization_id, status, created);

-- The people a campaign names as its reviewers.
CREATE TABLE access_review_reviewers (
    review_id TEXT NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (review_id, user_id)
);
-- "Campaigns I review".
CREATE INDEX access_review_reviewers_user ON access_review_reviewers (user_id);

CREATE TABLE access_review_items (
    id TEXT PRIMARY KEY NOT NULL,
    review_id TEXT NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    -- The user_role reviewed (it may be gone since).
    assignment_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_email TEXT NOT NULL,
    user_name TEXT NOT NULL,
    is_apiuser BOOLEAN NOT NULL,
    role_id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    tier TEXT NOT NULL,
    team_id TEXT,
    team_name TEXT,
    target_id TEXT,
    target_name TEXT,
    -- Space-separated permissions the assignment granted at the snapshot.
    permissions TEXT NOT NULL,
    -- pending, keep or revoke.
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    decided TIMESTAMP,
    decided_by_id TEXT,
    decided_by_email TEXT,
    decided_by_name TEXT,
    -- What a revoke did: removed, deactivated or already_gone.
    outcome TEXT
);
-- Item lists filter by decision, user, reviewer and team; closing counts
-- the pending ones.
CREATE INDEX access_review_items_decision ON access_review_items (review_id, decision);
CREATE INDEX access_review_items_user ON access_review_items (review_id, user_id);
CREATE INDEX access_review_items_reviewer ON access_review_items (review_id, decided_by_id);
CREATE INDEX access_review_items_team ON access_review_items (review_id, team_id);
