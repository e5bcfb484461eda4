-- Which process claimed an `Idempotency-Key`, and whether its request has
-- already committed a write: a retry finds out at once whether the first
-- request can still answer (its process is alive), must run again (it
-- died before writing) or must not (it died after writing, before its
-- response was kept).
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NULL;
ALTER TABLE idempotency_keys ADD COLUMN applied BOOLEAN NOT NULL DEFAULT FALSE;
-- Each running server process (replica) stamps its row every second; one
-- whose stamp falls behind the newest by more than a few seconds is gone.
CREATE TABLE replicas (
    id TEXT PRIMARY KEY NOT NULL,
    seen TIMESTAMP NOT NULL
);
