//! `/access-requests/`: a person asks for a role at a place for a while;
//! someone who could grant it there approves or denies.

pub mod cancel;
pub mod create;
pub mod decide;
pub mod get;
pub mod list;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::common::{NamedRef, page_view};
use crate::api::extract::{Fields, reference};
use crate::api::users::RoleScope;
use crate::domain::access_request::{self as rules, AccessRequestStatus};
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::access_requests::{AccessRequestDetail, NewAccessRequest};

/// The person who made a request, or decided it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RequestPerson {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
}

/// The role assignment an approval added: from `starts` until `expires`.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct GrantWindow {
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub starts: NaiveDateTime,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expires: NaiveDateTime,
}

/// An access request.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AccessRequest {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    /// Who asked (for itself).
    pub requester: RequestPerson,
    /// The role asked for.
    pub role: NamedRef,
    /// Where it would apply: `account` (the organization), `team` or `scope` (a target).
    pub scope: RoleScope,
    /// The team of a team-tier request.
    pub team: Option<NamedRef>,
    /// The target of a scope-tier request.
    pub target: Option<NamedRef>,
    /// How long the grant lasts once approved, in seconds.
    #[schema(minimum = 1, maximum = 31536000)]
    pub duration: i64,
    pub reason: String,
    /// PENDING until decided; EXPIRED when not decided within 14 days.
    pub status: AccessRequestStatus,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    /// Until when the request may be decided (14 days after it was made).
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expires: NaiveDateTime,
    /// When it was approved, denied or cancelled; null before.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided: Option<NaiveDateTime>,
    /// Who approved or denied it (the requester, for a cancellation).
    pub decided_by: Option<RequestPerson>,
    /// The decision's comment.
    pub comment: Option<String>,
    /// The window of the role assignment an approval added; null otherwise.
    pub grant: Option<GrantWindow>,
}

impl From<AccessRequestDetail> for AccessRequest {
    fn from(d: AccessRequestDetail) -> Self {
        let r = d.row;
        let decided_by = match (r.decided_by_id, r.decided_by_email, r.decided_by_name) {
            (Some(id), Some(email), Some(name)) => Some(RequestPerson { id, email, name }),
            _ => None,
        };
        let grant = match (r.grant_starts, r.grant_expires) {
            (Some(starts), Some(expires)) => Some(GrantWindow { starts, expires }),
            _ => None,
        };
        Self {
            id: r.id,
            requester: RequestPerson {
                id: d.requester.id,
                email: d.requester.email,
                name: d.requester.name,
            },
            role: NamedRef {
                id: r.role_id,
                name: d.role_name,
            },
            scope: RoleScope { tier: r.tier },
            team: r.team_id.map(|id| NamedRef {
                id,
                name: d.team_name.unwrap_or_default(),
            }),
            target: r.target_id.map(|id| NamedRef {
                id,
                name: d.target_name.unwrap_or_default(),
            }),
            duration: r.duration,
            reason: r.reason,
            status: d.status,
            created: r.created,
            expires: r.expires,
            decided: r.decided,
            decided_by,
            comment: r.comment,
            grant,
        }
    }
}

page_view! {
    /// A page of access requests.
    AccessRequestPage of AccessRequest, "Number of access requests matching the query."
}

/// A request for the caller itself: a role at a place for a while, with a
/// reason. `scope`, `team` and `target` follow the rules of a `user_roles`
/// item (account tier has neither team nor target; team tier needs a team;
/// scope tier a target). OWNER cannot be requested, nor a membership role
/// (ADMIN, EMPLOYEE, VIEWER, AUDITOR) at account tier.
#[derive(ToSchema)]
#[schema(as = AccessRequestWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by create_access_request"
)]
pub struct AccessRequestWriteDoc {
    #[schema(schema_with = crate::api::users::role_reference_schema)]
    role: String,
    #[schema(schema_with = crate::api::users::scope_schema)]
    scope: Option<String>,
    #[schema(schema_with = crate::api::users::team_reference_schema)]
    team: Option<String>,
    #[schema(schema_with = crate::api::users::target_reference_schema)]
    target: Option<String>,
    /// How long the grant should last once approved, in seconds: from 1 to
    /// 31536000 (365 days), and at most the role's `max_duration` when it
    /// has one.
    #[schema(minimum = 1, maximum = 31536000)]
    duration: i64,
    /// Why: shown to the people who may decide (at most 1000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// `{"comment"?}`: the decision's comment, at most 1000 characters.
#[derive(ToSchema)]
#[schema(as = AccessDecisionWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by the decision handlers"
)]
pub struct AccessDecisionDoc {
    #[schema(max_length = 1000)]
    comment: Option<String>,
}

/// A whole number of seconds: a JSON integer, or digits in a form body.
fn seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub const NOT_AN_INTEGER: &str = "A valid integer is required.";

/// A nullable number of seconds: `Some(None)` for `null`.
pub fn nullable_seconds(
    fields: &Fields,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<Option<i64>> {
    if !fields.has(key) {
        return None;
    }
    match fields.0.get(key) {
        Some(Value::Null) => Some(None),
        Some(v) => match seconds(v) {
            Some(n) => Some(Some(n)),
            None => {
                errors.add(key, NOT_AN_INTEGER);
                None
            }
        },
        None => None,
    }
}

/// Reads a new request's fields. Required fields missing are reported by
/// the service with its other errors.
pub fn parse_request(fields: &Fields) -> Parsed<NewAccessRequest> {
    let mut e = FieldErrors::new();
    let get = |key: &str| fields.0.get(key).filter(|v| !v.is_null());
    let role = fields.value("role", &mut e).and_then(|v| {
        reference(v).or_else(|| {
            e.add("role", "Incorrect type. Expected pk value.");
            None
        })
    });
    let tier = get("scope").map(|s| match s {
        Value::Object(map) => map.get("tier").map_or_else(String::new, tier_text),
        other => tier_text(other),
    });
    let team = get("team").and_then(reference);
    let target = get("target").and_then(reference);
    let duration = fields.value("duration", &mut e).and_then(|v| {
        seconds(v).or_else(|| {
            e.add("duration", NOT_AN_INTEGER);
            None
        })
    });
    let reason = fields
        .string("reason", &mut e)
        .and_then(|s| rules::parse_reason(&s).collect(&mut e, "reason"));
    Parsed::new(
        NewAccessRequest {
            role,
            tier,
            team,
            target,
            duration,
            reason,
        },
        e,
    )
}

fn tier_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Reads a decision's optional comment.
pub fn parse_comment(fields: &Fields) -> Parsed<Option<String>> {
    let mut e = FieldErrors::new();
    let comment = match fields.nullable_string("comment", &mut e) {
        Some(Some(raw)) => rules::parse_comment(&raw)
            .collect(&mut e, "comment")
            .flatten(),
        _ => None,
    };
    Parsed::new(comment, e)
}
