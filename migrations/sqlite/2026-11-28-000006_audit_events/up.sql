-- The audit trail: append-only, written in the same transaction as the
-- change it records. Actors are snapshots, so events outlive their authors.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    occurred TIMESTAMP NOT NULL,
    -- user, api_user, system or anonymous (e.g. a failed login).
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    actor_email TEXT,
    actor_name TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    -- JSON: {"field": {"before": ..., "after": ...}}; never secrets.
    changes TEXT NOT NULL,
    request_id TEXT,
    client_address TEXT,
    user_agent TEXT,
    interface TEXT NOT NULL
);
CREATE INDEX audit_events_occurred ON audit_events (organization_id, occurred, id);
CREATE INDEX audit_events_object ON audit_events (organization_id, object_type, object_id, occurred);
CREATE INDEX audit_events_actor ON audit_events (organization_id, actor_id, occurred);
CREATE INDEX audit_events_action ON audit_events (organization_id, action, occurred);
CREATE INDEX audit_events_retention ON audit_events (occurred);
