-- `Idempotency-Key` on POST: the first request's successful response, kept
-- 24 hours so a retry with the same key gets it again instead of writing
-- twice. In the database, so every replica honours a key another one saw.
CREATE TABLE idempotency_keys (
    -- Whose key it is: a hash of the credential that sent it (a key without
    -- credentials is scoped to its exact request).
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    -- SHA-256 of method, path, query and body: the same key with another
    -- request is refused.
    request_hash TEXT NOT NULL,
    -- NULL while the first request runs.
    status INTEGER NULL,
    -- The response (status line aside), sealed by the encryption key: it
    -- may hold a secret shown once (a new API key, tokens).
    response TEXT NULL,
    created TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);
