//! Permission questions from other services: "may this subject do P here?"
//! (`/authz/check/`) and "who may do P here?" (`/authz/who/`). Both are
//! answered by `Grants`, the code that authorizes Tessera's own requests,
//! through the access review's per-assignment entries, so an answer names
//! the role assignments that allow it and cannot drift from what Tessera
//! itself would allow. They need `authz.check` at account tier.

use crate::auth::{Caller, Scope};
use crate::db::models::UserRow;
use crate::db::{DbConnection, targets, teams, users};
use crate::domain::role::Permission;
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, Result};
use crate::service::access_review::{self, Entry, Resolved, ReviewQuery, Reviewed};
use crate::service::introspection;
use crate::service::{Page, PageRequest, Parsed, authority, does_not_exist};
use crate::state::AppState;

/// Checks in one request, at most.
pub const MAX_CHECKS: usize = 100;

/// Whom a check is about.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A user or API user, by id.
    User(String),
    /// The user or API user a presented token or API key stands for.
    Token(String),
}

/// One question: `permission` at the organization (neither), a team or a target.
#[derive(Clone, Debug)]
pub struct Check {
    pub permission: Permission,
    pub team: Option<String>,
    pub target: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CheckInput {
    pub subject: Subject,
    pub checks: Vec<Check>,
}

/// One answer: whether it is allowed, and by which role assignments.
#[derive(Clone, Debug)]
pub struct Answer {
    pub check: Check,
    pub allowed: bool,
    pub via: Vec<Entry>,
}

/// The subject and the answers, in the order of the checks.
#[derive(Clone, Debug)]
pub struct Checked {
    pub subject: UserRow,
    pub answers: Vec<Answer>,
}

pub const TOKEN_INVALID: &str = "Token is invalid or expired.";

/// Answers `input`'s checks. A subject of another organization (an id, or
/// a credential) is a 404; an inactive credential a 400 on `subject`.
pub async fn check(state: &AppState, caller: Caller, input: Parsed<CheckInput>) -> Result<Checked> {
    caller.require(Permission::AuthzCheck)?;
    let input = input.into_result()?;
    let subject_id = match &input.subject {
        Subject::User(id) => id.clone(),
        Subject::Token(token) => match introspection::stands_for(state, token.clone()).await? {
            Some(active) if active.org == caller.organization_id() => active.sub,
            Some(_) => return Err(Error::NotFound),
            None => return Err(Error::field("subject", TOKEN_INVALID)),
        },
    };
    state
        .db
        .read(move |conn| answer(conn, &caller, &subject_id, input.checks))
        .await
}

/// The answers for the user `subject_id` of the caller's organization.
fn answer(
    conn: &mut DbConnection,
    caller: &Caller,
    subject_id: &str,
    checks: Vec<Check>,
) -> Result<Checked> {
    let org = caller.organization_id();
    let subject = PublicId::parse(subject_id)
        .map(|id| users::find(conn, id.as_str()))
        .transpose()?
        .flatten()
        .filter(|u| u.organization_id == org && !u.is_system)
        .ok_or(Error::NotFound)?;
    // Every team and target the checks name, resolved once.
    let mut errors = FieldErrors::new();
    let mut places = Vec::with_capacity(checks.len());
    let mut item_errors = Vec::with_capacity(checks.len());
    for check in &checks {
        let mut own = FieldErrors::new();
        let team = match &check.team {
            Some(raw) => match PublicId::parse(raw) {
                Some(id) if teams::find_in_org(conn, org, id.as_str())?.is_some() => {
                    Some(id.into_string())
                }
                _ => {
                    own.add("team", does_not_exist(raw));
                    None
                }
            },
            None => None,
        };
        let target = match &check.target {
            Some(raw) => match PublicId::parse(raw) {
                Some(id) if targets::find_in_org(conn, org, id.as_str())?.is_some() => {
                    let of =
                        targets::teams_of(conn, std::slice::from_ref(&id.as_str().to_owned()))?;
                    Some((
                        id.into_string(),
                        of.into_iter().map(|(_, t)| t).collect::<Vec<String>>(),
                    ))
                }
                _ => {
                    own.add("target", does_not_exist(raw));
                    None
                }
            },
            None => None,
        };
        places.push((team, target));
        item_errors.push(own.into_value());
    }
    if item_errors
        .iter()
        .any(|e| e.as_object().is_some_and(|o| !o.is_empty()))
    {
        errors.set("checks", serde_json::Value::Array(item_errors));
        errors.into_result()?;
    }
    let assignments = users::roles_of(conn, std::slice::from_ref(&subject.id))?;
    let grants = authority::grants_in_force(&assignments, time::now());
    let answers = checks
        .into_iter()
        .zip(places)
        .map(|(check, (team, target))| {
            let scope = match (&team, &target) {
                (Some(team), _) => Scope::Team(team),
                (None, Some((id, teams))) => Scope::Target { id, teams },
                (None, None) => Scope::Organization,
            };
            // A deactivated subject can do nothing (it cannot authenticate).
            let allowed = subject.active && grants.can(check.permission, scope);
            let question = Resolved::question(check.permission, team.clone(), target.clone());
            let via = if allowed {
                assignments
                    .iter()
                    .flat_map(|a| access_review::entries_of(a, &question))
                    .collect()
            } else {
                Vec::new()
            };
            Answer {
                check,
                allowed,
                via,
            }
        })
        .collect();
    Ok(Checked { subject, answers })
}

/// Who may do `permission` at the organization, a team or a target: the
/// access review narrowed to it, paged like every list.
pub fn who(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<ReviewQuery>,
    page: PageRequest,
) -> Result<Page<Reviewed>> {
    let resolved = access_review::resolve_for(conn, caller, query, Permission::AuthzCheck)?;
    access_review::review(conn, caller, &resolved, page)
}
