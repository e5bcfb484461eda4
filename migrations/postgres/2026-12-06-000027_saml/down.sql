DROP TABLE sso_assertions;
DELETE FROM sso_connections WHERE protocol = 'saml';
DROP TABLE sso_logins;
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires TIMESTAMP NOT NULL
);
