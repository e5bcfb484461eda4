-- Invitations: a single-use link to set a first password. Only the token's
-- SHA-256 is kept; a newer invitation of the same user supersedes older ones.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    expires TIMESTAMP NOT NULL,
    accepted TIMESTAMP,
    superseded TIMESTAMP,
    -- DISABLED (no SMTP configured), QUEUED, SENT or FAILED.
    mail_status TEXT NOT NULL,
    mail_error TEXT,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);
CREATE INDEX invitations_organization ON invitations (organization_id, created);
CREATE INDEX invitations_user ON invitations (user_id, created);

-- Password reset links, single-use, and dead once the user's token_version
-- moves on (any password change or deactivation).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_version INTEGER NOT NULL,
    created TIMESTAMP NOT NULL,
    expires TIMESTAMP NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires ON password_resets (expires);
