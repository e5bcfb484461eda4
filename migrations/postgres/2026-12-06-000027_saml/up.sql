-- SAML 2.0 connections (protocol `saml`): their settings go in
-- `sso_connections.settings` (JSON) and their service-provider private key,
-- sealed, in `sso_connections.secret`, as the OIDC ones do; no new column.

-- A sign-in under way keeps, sealed, the value the answer must echo
-- (`nonce`: the OIDC nonce, or the ID of the SAML AuthnRequest) and, for
-- OIDC only, the PKCE verifier: it becomes optional. Sign-ins live ten
-- minutes, so the table is recreated rather than altered (SQLite cannot
-- drop a NOT NULL in place); one under way at upgrade time starts again.
DROP TABLE sso_logins;
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NULL,
    expires TIMESTAMP NOT NULL
);

-- SAML assertions already used, so a replayed one is refused on every
-- replica: by a hash of the connection and the assertion's ID, kept until
-- the assertion could no longer be accepted anyway (then pruned).
CREATE TABLE sso_assertions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    expires TIMESTAMP NOT NULL
);
CREATE INDEX sso_assertions_expires ON sso_assertions (expires);
