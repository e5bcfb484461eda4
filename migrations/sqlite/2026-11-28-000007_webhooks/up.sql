-- Webhook subscriptions. The secret signs deliveries, so it is kept (never
-- shown again after it is set).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- Space-separated event types.
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created TIMESTAMP NOT NULL,
    changed TIMESTAMP NOT NULL,
    changed_by_id TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_name TEXT NOT NULL
);
CREATE INDEX webhooks_organization ON webhooks (organization_id, active);

-- The outbox: one row per (event, webhook), written in the transaction of
-- the change, so an event is sent if and only if its change committed.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- PENDING, DELIVERED or FAILED.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    created TIMESTAMP NOT NULL,
    delivered TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created);
