-- Single sign-on connections of an organization. The fields every protocol
-- shares are columns; what is particular to a protocol is one JSON object
-- in `settings` (for `oidc`: issuer, client_id, scopes, claim_email,
-- claim_groups), and its secret, sealed by the encryption key, in `secret`
-- (for `oidc`: the client secret). A SAML connection adds a protocol value,
-- not a table.
CREATE TABLE sso_connections (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    protocol TEXT NOT NULL,
    name TEXT NOT NULL,
    enforcement TEXT NOT NULL,
    jit BOOLEAN NOT NULL,
    -- A role id (built-in or the organization's own).
    default_role TEXT NOT NULL,
    -- JSON: [{"group": ..., "role": <role id>, "team": <team id> | null}].
    group_mapping TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    -- Where the web frontend takes a one-time code after a sign-in.
    redirect_uri TEXT NOT NULL,
    settings TEXT NOT NULL,
    secret TEXT NULL,
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE INDEX sso_connections_organization ON sso_connections (organization_id, created);

-- The email domains a connection answers for: one connection per domain,
-- across every organization (home-realm discovery must be unambiguous).
-- Lowercase, IDNA-encoded.
CREATE TABLE sso_domains (
    domain TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_connection ON sso_domains (connection_id);

-- Sign-ins under way, keyed by a hash of their `state`, so any replica can
-- finish one. Each is used once (deleted when the provider comes back) and
-- only by the browser holding the cookie whose hash is `browser`.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    -- Sealed: the nonce and the PKCE verifier.
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires TIMESTAMP NOT NULL
);

-- One-time codes the frontend exchanges for a token, by hash.
CREATE TABLE sso_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires TIMESTAMP NOT NULL
);

-- Managing connections: OWNER and ADMIN.
UPDATE roles SET permissions = permissions || ' sso.manage'
WHERE id IN ('RoLeowner1Xy', 'RoLeadmin2Xy');
