//! The access request tools' arguments and results (requestAccess,
//! approveAccessRequest, denyAccessRequest), and their mapping onto the
//! service's typed inputs: the same rules as `POST /access-requests/`.

use rmcp::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

use crate::domain::access_request as rules;
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::access_requests::{AccessRequestDetail, NewAccessRequest};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RequestAccessArgs {
    /// Id of the organization.
    pub organization_id: String,
    /// The role asked for: its id, or a built-in role's name (e.g. "ADMIN").
    pub role: String,
    /// Where it applies: "account" (the organization), "team" or "scope"
    /// (a target); inferred from team_id / target_id when absent.
    pub tier: Option<String>,
    /// The team of a team-tier request.
    pub team_id: Option<String>,
    /// The target of a scope-tier request.
    pub target_id: Option<String>,
    /// How long the grant lasts once approved, in seconds (1 to 31536000,
    /// and at most the role's max_duration).
    pub duration_seconds: i64,
    /// Why (at most 1000 characters).
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecideAccessRequestArgs {
    /// Id of the organization.
    pub organization_id: String,
    /// Id of the access request.
    pub access_request_id: String,
    /// The decision's comment (at most 1000 characters).
    pub comment: Option<String>,
}

/// An access request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccessRequestView {
    pub id: String,
    pub requester_id: String,
    pub role_id: String,
    pub role_name: String,
    /// account, team or scope.
    pub tier: String,
    pub team_id: Option<String>,
    pub target_id: Option<String>,
    pub duration_seconds: i64,
    pub reason: String,
    /// PENDING, APPROVED, DENIED, CANCELLED or EXPIRED.
    pub status: String,
    pub created_at: String,
    /// Until when it may be decided.
    pub expires_at: String,
    pub decided_at: Option<String>,
    pub decided_by_id: Option<String>,
    pub comment: Option<String>,
    /// The window of the role assignment an approval added.
    pub grant_starts_at: Option<String>,
    pub grant_expires_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccessRequestResult {
    pub access_request: AccessRequestView,
}

impl From<AccessRequestDetail> for AccessRequestResult {
    fn from(d: AccessRequestDetail) -> Self {
        let r = d.row;
        let at = |t: Option<chrono::NaiveDateTime>| t.map(|t| time::format(&t));
        Self {
            access_request: AccessRequestView {
                id: r.id,
                requester_id: r.requester_id,
                role_id: r.role_id,
                role_name: d.role_name,
                tier: r.tier.as_str().to_owned(),
                team_id: r.team_id,
                target_id: r.target_id,
                duration_seconds: r.duration,
                reason: r.reason,
                status: d.status.as_str().to_owned(),
                created_at: time::format(&r.created),
                expires_at: time::format(&r.expires),
                decided_at: at(r.decided),
                decided_by_id: r.decided_by_id,
                comment: r.comment,
                grant_starts_at: at(r.grant_starts),
                grant_expires_at: at(r.grant_expires),
            },
        }
    }
}

impl RequestAccessArgs {
    /// The service's input, parsed by the domain's rules.
    pub fn parsed(self) -> Parsed<NewAccessRequest> {
        let mut e = FieldErrors::new();
        let reason = rules::parse_reason(&self.reason).collect(&mut e, "reason");
        Parsed::new(
            NewAccessRequest {
                role: Some(self.role),
                tier: self.tier,
                team: self.team_id,
                target: self.target_id,
                duration: Some(self.duration_seconds),
                reason,
            },
            e,
        )
    }
}

impl DecideAccessRequestArgs {
    pub fn comment(&self) -> Parsed<Option<String>> {
        let mut e = FieldErrors::new();
        let comment = match self.comment.as_deref() {
            Some(raw) => rules::parse_comment(raw)
                .collect(&mut e, "comment")
                .flatten(),
            None => None,
        };
        Parsed::new(comment, e)
    }
}
