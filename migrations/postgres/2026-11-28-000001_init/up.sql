-- Tessera schema. Ids are 12-character Base58 strings drawn from a CSPRNG:
-- no row number ever leaves the database. Times are UTC, microsecond precision.
-- `changed_by_*` columns keep a snapshot of who made the last change, so that
-- deleting that user never breaks the history of what it changed.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    is_apiuser BOOLEAN NOT NULL DEFAULT FALSE,
    is_system BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash TEXT,
    token_version INTEGER NOT NULL DEFAULT 0,
    mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_secret TEXT,
    last_login TIMESTAMP,
    source TEXT NOT NULL DEFAULT 'MANUAL',
    kind TEXT,
    position TEXT,
    additional_email_addresses TEXT NOT NULL DEFAULT '[]',
    contract_start_date TIMESTAMP,
    contract_end_date TIMESTAMP,
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
-- The database is the source of truth for "one email per organization".
CREATE UNIQUE INDEX users_organization_email_ci ON users (organization_id, lower(email));
-- Login looks a person up by email across organizations.
CREATE INDEX users_email_ci ON users (lower(email));
-- List orderings (default -changed), each with the id tie-break.
CREATE INDEX users_list_changed ON users (organization_id, is_apiuser, changed, id);
CREATE INDEX users_list_created ON users (organization_id, is_apiuser, created, id);
CREATE INDEX users_list_name ON users (organization_id, is_apiuser, name, id);
CREATE INDEX users_list_last_login ON users (organization_id, is_apiuser, last_login, id);

CREATE TABLE labels (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    color TEXT NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE UNIQUE INDEX labels_organization_name_ci ON labels (organization_id, lower(name));

CREATE TABLE user_labels (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, label_id)
);
CREATE INDEX user_labels_label ON user_labels (label_id, user_id);

-- Built-in roles have no organization; custom roles belong to one.
CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL DEFAULT '',
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_organization_name_ci ON roles (organization_id, lower(name));

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE INDEX teams_organization ON teams (organization_id, name, id);

CREATE TABLE targets (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE INDEX targets_organization ON targets (organization_id, name, id);

CREATE TABLE target_teams (
    target_id TEXT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (target_id, team_id)
);
CREATE INDEX target_teams_team ON target_teams (team_id, target_id);

-- tier: 'account' (no team, no target), 'team' (team only), 'scope' (target only).
CREATE TABLE user_roles (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id),
    tier TEXT NOT NULL,
    team_id TEXT REFERENCES teams (id) ON DELETE CASCADE,
    target_id TEXT REFERENCES targets (id) ON DELETE CASCADE,
    created TIMESTAMP NOT NULL,
    CHECK (
        (tier = 'account' AND team_id IS NULL AND target_id IS NULL)
        OR (tier = 'team' AND team_id IS NOT NULL AND target_id IS NULL)
        OR (tier = 'scope' AND team_id IS NULL AND target_id IS NOT NULL)
    )
);
CREATE UNIQUE INDEX user_roles_unique
    ON user_roles (user_id, role_id, tier, coalesce(team_id, ''), coalesce(target_id, ''));
CREATE INDEX user_roles_role ON user_roles (role_id, tier, user_id);
CREATE INDEX user_roles_team ON user_roles (team_id, user_id);
CREATE INDEX user_roles_target ON user_roles (target_id, user_id);

-- Built-in roles: fixed ids, read-only. Permissions are space-separated.
INSERT INTO roles (id, organization_id, name, description, permissions, builtin, created, changed) VALUES
('RoLeowner1Xy', NULL, 'OWNER', 'Full administrative access, including billing and organization deletion',
 'users.view users.manage roles.grant owner.grant labels.manage teams.manage roles.manage targets.view targets.manage keys.manage account.manage billing.manage audit.view access_review.view webhooks.manage scim.provision',
 TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00'),
('RoLeadmin2Xy', NULL, 'ADMIN', 'Can manage users, settings, and all resources',
 'users.view users.manage roles.grant labels.manage teams.manage roles.manage targets.view targets.manage keys.manage account.manage audit.view access_review.view webhooks.manage scim.provision',
 TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00'),
('RoLemp1oyeeX', NULL, 'EMPLOYEE', 'Standard access to compliance resources',
 'users.view targets.view', TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00'),
('RoLeviewerXy', NULL, 'VIEWER', 'Read-only access',
 'users.view targets.view', TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00'),
('RoLeauditorX', NULL, 'AUDITOR', 'Read-only access intended for external auditors',
 'users.view targets.view audit.view access_review.view', TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00'),
('RoLebi11ingX', NULL, 'BILLING', 'Manages billing settings; never a membership role',
 'billing.manage', TRUE, '2026-11-28 00:00:00', '2026-11-28 00:00:00');
