-- TOTP replay guard: the last time step (Unix time / 30 s) accepted for the
-- user. A code is accepted only for a later step, so it works once even
-- across replicas.
ALTER TABLE users ADD COLUMN mfa_last_step BIGINT;

-- Failed logins, per client address and per account, for throttling. `key`
-- is a SHA-256 of the subject, so mistyped passwords entered as emails are
-- not kept in clear. Rows older than the throttling window are pruned as new
-- failures arrive.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
