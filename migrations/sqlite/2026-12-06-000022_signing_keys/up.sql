-- Keys signing access tokens (EdDSA or RS256). Every replica signs with the
-- same keys. A key is published (JWKS) from its creation, signs from
-- `signs_from` (after a grace period when it replaces another), and stays
-- published until `published_until`, set when a successor is added to the
-- moment the last token it may have signed expires.
CREATE TABLE signing_keys (
    -- The `kid` of the tokens it signs.
    id TEXT PRIMARY KEY NOT NULL,
    -- EdDSA or RS256.
    algorithm TEXT NOT NULL,
    -- The private key (DER, base64), sealed by the encryption key.
    private_key TEXT NOT NULL,
    -- The public key as a JSON Web Key.
    public_jwk TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    signs_from TIMESTAMP NOT NULL,
    published_until TIMESTAMP NULL
);

-- Permissions of services that trust Tessera: introspecting tokens (OWNER,
-- ADMIN) and asking permission questions (OWNER, ADMIN, AUDITOR).
UPDATE roles SET permissions = permissions || ' tokens.introspect authz.check'
WHERE id IN ('RoLeowner1Xy', 'RoLeadmin2Xy');
UPDATE roles SET permissions = permissions || ' authz.check' WHERE id = 'RoLeauditorX';
