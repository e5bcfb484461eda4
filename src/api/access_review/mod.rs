//! `/access-review/`: who can do what, right now.

pub mod get;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::page_view;
use crate::auth::grants::GrantedAt;
use crate::domain::time;
use crate::domain::user::State;
use crate::service::access_review::{Entry, Reviewed};

/// Where a permission applies.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct GrantScope {
    /// `organization`, `team` or `target`.
    #[serde(rename = "type")]
    #[schema(example = "team")]
    pub kind: &'static str,
    /// The team's or target's id; null for the organization.
    pub id: Option<String>,
    pub name: Option<String>,
}

/// The role assignment a permission comes from.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct GrantSource {
    /// The user_role's id.
    pub id: String,
    pub role: crate::api::common::NamedRef,
    pub tier: crate::domain::role::Tier,
    /// When the assignment came or comes into force (null: when it was made).
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts: Option<NaiveDateTime>,
    /// When the assignment ends (null: it does not). The permission is
    /// listed only while the assignment is in force.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires: Option<NaiveDateTime>,
}

/// One effective permission.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct EffectivePermission {
    #[schema(example = "users.manage")]
    pub permission: String,
    pub scope: GrantScope,
    pub granted_by: GrantSource,
}

/// The reviewed user (a person or an API user).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReviewedUser {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub email: String,
    pub name: String,
    /// `user` or `api_user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One user's access.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AccessReviewItem {
    pub user: ReviewedUser,
    pub active: bool,
    pub state: State,
    pub mfa_enabled: bool,
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login: Option<NaiveDateTime>,
    /// API keys the user holds.
    pub key_count: i64,
    /// When one of its keys was last used.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub key_last_used: Option<NaiveDateTime>,
    /// Neither signed in nor used an API key for the organization's
    /// `dormant_after_days` (see `/account/`); false when that is not set.
    pub dormant: bool,
    pub permissions: Vec<EffectivePermission>,
}

fn scope_of(entry: &Entry) -> GrantScope {
    let (kind, id) = match &entry.at {
        GrantedAt::Organization => ("organization", None),
        GrantedAt::Team(id) => ("team", Some(id.clone())),
        GrantedAt::Target(id) => ("target", Some(id.clone())),
    };
    GrantScope {
        kind,
        id,
        name: entry.at_name.clone(),
    }
}

impl From<&Entry> for EffectivePermission {
    fn from(e: &Entry) -> Self {
        EffectivePermission {
            permission: e.permission.as_str().to_owned(),
            scope: scope_of(e),
            granted_by: GrantSource {
                id: e.assignment_id.clone(),
                role: crate::api::common::NamedRef {
                    id: e.role_id.clone(),
                    name: e.role_name.clone(),
                },
                tier: e.tier,
                starts: e.starts,
                expires: e.expires,
            },
        }
    }
}

impl From<Reviewed> for AccessReviewItem {
    fn from(r: Reviewed) -> Self {
        let u = r.user;
        Self {
            state: State::derive(
                u.active,
                u.password_hash.is_some() || u.source.signs_in_elsewhere(),
                u.is_apiuser,
            ),
            user: ReviewedUser {
                kind: if u.is_apiuser { "api_user" } else { "user" },
                id: u.id,
                email: u.email,
                name: u.name,
            },
            active: u.active,
            mfa_enabled: u.mfa_enabled,
            last_login: u.last_login,
            key_count: r.key_count,
            key_last_used: r.key_last_used,
            dormant: r.dormant,
            permissions: r.entries.iter().map(EffectivePermission::from).collect(),
        }
    }
}

page_view! {
    /// A page of the access review, by email.
    AccessReviewPage of AccessReviewItem, "Number of users matching the query."
}

/// The CSV header; one line per permission (a user without any gets one
/// line with the permission columns empty).
pub const CSV_HEADER: [&str; 20] = [
    "user_id",
    "user_email",
    "user_name",
    "user_type",
    "active",
    "state",
    "mfa_enabled",
    "last_login",
    "key_count",
    "key_last_used",
    "dormant",
    "permission",
    "scope_type",
    "scope_id",
    "scope_name",
    "role_id",
    "role_name",
    "assignment_id",
    "assignment_starts",
    "assignment_expires",
];

/// The CSV lines of one user.
pub fn csv_records(item: &AccessReviewItem) -> Vec<Vec<String>> {
    let opt_time = |t: Option<NaiveDateTime>| t.map(|t| time::format(&t)).unwrap_or_default();
    let state = serde_json::to_value(item.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let user = vec![
        item.user.id.clone(),
        item.user.email.clone(),
        item.user.name.clone(),
        item.user.kind.to_owned(),
        item.active.to_string(),
        state,
        item.mfa_enabled.to_string(),
        opt_time(item.last_login),
        item.key_count.to_string(),
        opt_time(item.key_last_used),
        item.dormant.to_string(),
    ];
    if item.permissions.is_empty() {
        let mut line = user;
        line.resize(CSV_HEADER.len(), String::new());
        return vec![line];
    }
    item.permissions
        .iter()
        .map(|p| {
            let mut line = user.clone();
            line.extend([
                p.permission.clone(),
                p.scope.kind.to_owned(),
                p.scope.id.clone().unwrap_or_default(),
                p.scope.name.clone().unwrap_or_default(),
                p.granted_by.role.id.clone(),
                p.granted_by.role.name.clone(),
                p.granted_by.id.clone(),
                opt_time(p.granted_by.starts),
                opt_time(p.granted_by.expires),
            ]);
            line
        })
        .collect()
}
