//! `/audit-events/`: the append-only trail of every write and
//! authentication event (read-only here).

pub mod get;
pub mod list;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::page_view;
use crate::db::audit::AuditEventRow;
use crate::domain::time;

/// Who acted: a user, an API user, the organization's `System` actor, or
/// nobody known (`anonymous`: e.g. a failed login).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AuditActor {
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub kind: String,
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// What the event is about.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AuditObject {
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub kind: String,
    pub id: String,
}

/// One audit event.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AuditEvent {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred: NaiveDateTime,
    pub actor: AuditActor,
    /// `<object type>.<verb>`, e.g. `user.updated`, `auth.login_failed`.
    #[schema(example = "user.updated")]
    pub action: String,
    pub object: AuditObject,
    /// The fields that changed: `{"field": {"before": ..., "after": ...}}`.
    /// Secrets and hashes are never recorded (a password change shows as
    /// `"(changed)"`).
    #[schema(value_type = Object, example = json!({"name": {"before": "Jane", "after": "Jane Smith"}}))]
    pub changes: serde_json::Value,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// `rest`, `mcp`, `scim`, `cli` or `scheduler`.
    pub interface: String,
}

impl From<AuditEventRow> for AuditEvent {
    fn from(row: AuditEventRow) -> Self {
        Self {
            id: row.id,
            occurred: row.occurred,
            actor: AuditActor {
                kind: row.actor_type,
                id: row.actor_id,
                email: row.actor_email,
                name: row.actor_name,
            },
            action: row.action,
            object: AuditObject {
                kind: row.object_type,
                id: row.object_id,
            },
            changes: serde_json::from_str(&row.changes).unwrap_or_default(),
            request_id: row.request_id,
            client_address: row.client_address,
            user_agent: row.user_agent,
            interface: row.interface,
        }
    }
}

page_view! {
    /// A page of audit events.
    AuditEventPage of AuditEvent, "Number of events matching the query."
}
