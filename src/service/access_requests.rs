//! Access requests (issue #27): any person asks for a role at a place (the
//! organization, a team or a target) for a while, with a reason; someone
//! who could grant that role there under the usual rules decides.
//!
//! - **Who decides**: whoever could make the grant through `PATCH
//!   /users/{id}/`: `roles.grant` and every permission of the role where it
//!   applies (no escalation, `users::authorize_grant`), and every
//!   permission the requester holds wherever it holds it (who may act on
//!   whom, `authority`). Never the requester itself.
//! - **Approval** adds the role assignment, starting now and ending after
//!   the requested duration, through `users::update` (so it is judged,
//!   audited as `user.updated` and announced as `membership.updated` like
//!   any change of roles), in the transaction of the decision.
//! - A request undecided for `PENDING_DAYS` expires; its requester may
//!   cancel it while it is pending.
//! - **Who sees a request**: its requester, whoever could decide it, and
//!   account-tier holders of `access_review.view` (auditors).

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::auth::grants::{Grants, Scope};
use crate::db::access_requests::{self as rows, AccessRequestFilter, AccessRequestRow, Decision};
use crate::db::models::{RoleRow, UserRoleDetail};
use crate::db::{DbConnection, roles as role_rows, targets, users};
use crate::domain::access_request::{self as rules, AccessRequestStatus};
use crate::domain::audit::AuditAction;
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::user_roles::{self, Assignment, RoleRef};
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, REQUIRED, Result};
use crate::mail::{Mail, MailKind};
use crate::service::users::{self as user_service, AssignmentInput, UserField, UserPatch};
use crate::service::{Page, PageRequest, Parsed, audit, authority, does_not_exist};
use crate::state::AppState;

pub const OWN_REQUEST: &str = "You cannot decide your own access request.";
pub const CANNOT_GRANT: &str = "You cannot decide this access request: only someone who could grant this role there (and who holds every permission the requester holds) may.";
pub const NOT_REQUESTER: &str = "Only its requester can cancel an access request.";
pub const ALREADY_DECIDED: &str = "This access request was already decided.";
pub const CANCELLED: &str = "This access request was cancelled.";
pub const EXPIRED: &str = "This access request expired before it was decided.";
pub const ALREADY_HELD: &str = "You already hold this role there.";
pub const REQUESTER_HOLDS: &str = "The requester already holds this role there.";
pub const ALREADY_PENDING: &str = "You already have a pending request for this role there.";
pub const OWNER_NOT_REQUESTABLE: &str = "OWNER cannot be requested.";
pub const MEMBERSHIP_NOT_REQUESTABLE: &str = "A membership role (ADMIN, EMPLOYEE, VIEWER, AUDITOR) cannot be requested at account tier: request it at a team or a target, or request a custom role.";
/// At most this many possible approvers are mailed about a new request.
pub const MAIL_RECIPIENTS_MAX: usize = 20;

/// A request as an interface parsed it: references not yet resolved,
/// `duration` (seconds) and `reason` already bounded by the domain's rules
/// (their errors are in the `Parsed`).
#[derive(Clone, Debug, Default)]
pub struct NewAccessRequest {
    /// A role id or a built-in role's uppercase name.
    pub role: Option<String>,
    /// `account`, `team`, `scope` (or `target`); inferred from team/target when absent.
    pub tier: Option<String>,
    pub team: Option<String>,
    pub target: Option<String>,
    pub duration: Option<i64>,
    pub reason: Option<String>,
}

/// What a list of requests asks for.
#[derive(Clone, Debug, Default)]
pub struct AccessRequestQuery {
    pub filter: AccessRequestFilter,
    /// Only the caller's own requests.
    pub mine: bool,
    /// Only pending requests the caller may decide.
    pub approvable: bool,
    /// Oldest first (the default is newest first).
    pub ascending: bool,
}

/// A user as a request shows it.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A request with the names its view shows.
#[derive(Clone, Debug)]
pub struct AccessRequestDetail {
    pub row: AccessRequestRow,
    pub status: AccessRequestStatus,
    pub requester: Person,
    pub role_name: String,
    pub team_name: Option<String>,
    pub target_name: Option<String>,
}

/// A request just made, with the people to mail about it.
pub struct Created {
    pub request: AccessRequestDetail,
    pub approvers: Vec<Person>,
}

/// Creates a request of the caller's for itself. Any authenticated user may.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<NewAccessRequest>,
) -> Result<Created> {
    let Parsed {
        value: input,
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let role = match input.role.as_deref() {
        None => {
            errors.add("role", REQUIRED);
            None
        }
        Some(raw) => match find_role(conn, &org, raw)? {
            Some(row) => Some(row),
            None => {
                errors.add("role", does_not_exist(raw));
                None
            }
        },
    };
    let team = resolve_in_org(conn, &org, "team", input.team.as_deref(), &mut errors)?;
    let target = resolve_in_org(conn, &org, "target", input.target.as_deref(), &mut errors)?;
    let tier = match input.tier.as_deref() {
        Some(raw) => Tier::parse(raw).map_err(|m| errors.add("scope", m)).ok(),
        None if input.target.is_some() => Some(Tier::Scope),
        None if input.team.is_some() => Some(Tier::Team),
        None => Some(Tier::Account),
    };
    if input.duration.is_none() && !errors.contains("duration") {
        errors.add("duration", REQUIRED);
    }
    if input.reason.is_none() && !errors.contains("reason") {
        errors.add("reason", REQUIRED);
    }
    let mut assignment = None;
    if let (Some(role), Some(tier)) = (&role, tier) {
        let a = Assignment {
            role: role_ref(role),
            tier,
            team: team.clone(),
            target: target.clone(),
            starts: None,
            expires: None,
        };
        check_requestable(&a, &mut errors);
        if let Some(duration) = input.duration
            && let Err(message) = rules::check_duration(duration, role.max_duration)
        {
            errors.add("duration", message);
        }
        assignment = Some(a);
    }
    errors.into_result()?;
    let (Some(a), Some(duration), Some(reason)) = (assignment, input.duration, input.reason) else {
        return Err(Error::non_field(REQUIRED));
    };
    let now = time::now();
    let mine = users::roles_of(conn, std::slice::from_ref(&caller.user.id))?;
    if holds_in_force(&mine, &a, now) {
        return Err(Error::non_field(ALREADY_HELD));
    }
    let pending = AccessRequestFilter {
        status: Some((AccessRequestStatus::Pending, now)),
        requester: Some(caller.user.id.clone()),
        role: Some(a.role.id.clone()),
    };
    if rows::all(conn, &org, &pending, false)?
        .iter()
        .any(|r| same_place(r, &a))
    {
        return Err(Error::non_field(ALREADY_PENDING));
    }
    let row = AccessRequestRow {
        id: PublicId::random().into_string(),
        organization_id: org,
        requester_id: caller.user.id.clone(),
        role_id: a.role.id.clone(),
        tier: a.tier,
        team_id: a.team.clone(),
        target_id: a.target.clone(),
        duration,
        reason,
        status: AccessRequestStatus::Pending,
        created: now,
        expires: now + Duration::days(rules::PENDING_DAYS),
        decided: None,
        decided_by_id: None,
        decided_by_email: None,
        decided_by_name: None,
        comment: None,
        grant_starts: None,
        grant_expires: None,
    };
    rows::insert(conn, &row)?;
    let request = detail(conn, row)?;
    caller.audit(
        conn,
        AuditAction::AccessRequestCreated,
        audit::object("access_request", &request.row.id),
        audit::created(&snapshot(&request)),
    )?;
    let approvers = approvers(conn, &request.row)?;
    Ok(Created { request, approvers })
}

/// One request the caller may see (404 otherwise).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<AccessRequestDetail> {
    let row = find(conn, caller, id)?;
    let judge = Judge::load(conn, std::slice::from_ref(&row))?;
    if !judge.may_see(caller, &row) {
        return Err(Error::NotFound);
    }
    detail(conn, row)
}

/// The requests the caller may see, filtered. A caller that could decide
/// requests of others has each matching request judged in memory (who may
/// decide depends on each requester's roles), so that list reads every
/// matching request of the organization: requests are few next to users.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<AccessRequestQuery>,
    page: PageRequest,
) -> Result<Page<AccessRequestDetail>> {
    let mut query = query.into_result()?;
    let org = caller.organization_id().to_owned();
    if query.mine {
        if query
            .filter
            .requester
            .as_ref()
            .is_some_and(|r| *r != caller.user.id)
        {
            return empty(page);
        }
        query.filter.requester = Some(caller.user.id.clone());
    }
    if query.approvable {
        if query.mine {
            return empty(page);
        }
        query.filter.status = match query.filter.status {
            None | Some((AccessRequestStatus::Pending, _)) => {
                Some((AccessRequestStatus::Pending, time::now()))
            }
            Some(_) => return empty(page),
        };
    }
    let sees_all = caller.has(Permission::AccessReviewView);
    let sees_own_only = !caller.grants.anywhere(Permission::RolesGrant);
    if !query.approvable && (sees_all || sees_own_only || query.mine) {
        if !sees_all {
            match &query.filter.requester {
                Some(r) if *r != caller.user.id => return empty(page),
                _ => query.filter.requester = Some(caller.user.id.clone()),
            }
        }
        let filter = &query.filter;
        return Page::load(
            conn,
            page,
            |c| rows::count(c, &org, filter),
            |c, offset, limit| {
                let found = rows::page(c, &org, filter, query.ascending, offset, limit)?;
                details(c, found)
            },
        );
    }
    // Who may see or decide a request is judged per row (the requester's
    // holdings against the caller's grants), which SQL cannot say. The
    // matching requests are read and judged batch by batch in the list's
    // order; only the requested page's rows are kept, so memory follows
    // the batch and the page, not the organization. The count stays exact.
    let start = page.offset();
    let end = start.saturating_add(page.length);
    let (mut count, mut selected, mut after) = (0i64, Vec::new(), None);
    loop {
        let batch = rows::batch_after(
            conn,
            &org,
            &query.filter,
            query.ascending,
            after.take(),
            JUDGED_BATCH,
        )?;
        let Some(last) = batch.last() else { break };
        after = Some((last.created, last.id.clone()));
        let full = batch.len() as i64 == JUDGED_BATCH;
        let judge = Judge::load(conn, &batch)?;
        for r in batch {
            let visible = if query.approvable {
                r.requester_id != caller.user.id && judge.may_decide(&caller.grants, &r)
            } else {
                judge.may_see(caller, &r)
            };
            if visible {
                if (start..end).contains(&count) {
                    selected.push(r);
                }
                count += 1;
            }
        }
        if !full {
            break;
        }
    }
    let page_total = page.page_total(count)?;
    Ok(Page {
        count,
        page_total,
        request: page,
        rows: details(conn, selected)?,
    })
}

/// How many requests a list judged per row reads and judges at a time.
const JUDGED_BATCH: i64 = 500;

fn empty(page: PageRequest) -> Result<Page<AccessRequestDetail>> {
    Ok(Page {
        count: 0,
        page_total: page.page_total(0)?,
        request: page,
        rows: Vec::new(),
    })
}

/// A decision just made, with the requester to mail.
pub struct Decided {
    pub request: AccessRequestDetail,
}

/// Approves (`approve`) or denies request `id`, with an optional comment.
/// 403 for the requester itself and for whoever could not grant the role
/// there; 409 once the request is no longer pending.
pub fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    approve: bool,
    comment: Parsed<Option<String>>,
) -> Result<Decided> {
    let row = find(conn, caller, id)?;
    if row.requester_id == caller.user.id {
        return Err(Error::Refused(OWN_REQUEST));
    }
    let requester = users::find(conn, &row.requester_id)?.ok_or(Error::NotFound)?;
    let a = assignment_of(conn, &row)?;
    let refused = |e: Error| match e {
        Error::Forbidden => Error::Refused(CANNOT_GRANT),
        other => other,
    };
    user_service::authorize_grant(conn, caller, &a).map_err(refused)?;
    authority::require_over_user(conn, caller, &requester.id).map_err(refused)?;
    let now = time::now();
    check_pending(&row, now)?;
    let comment = comment.into_result()?;
    let window = approve.then(|| (now, now + Duration::seconds(row.duration)));
    let decision = Decision {
        status: if approve {
            AccessRequestStatus::Approved
        } else {
            AccessRequestStatus::Denied
        },
        decided: now,
        decided_by_id: caller.user.id.clone(),
        decided_by_email: caller.user.email.clone(),
        decided_by_name: caller.user.name.clone(),
        comment,
        grant_starts: window.map(|(starts, _)| starts),
        grant_expires: window.map(|(_, expires)| expires),
    };
    // Decided first: a concurrent decision makes this one a 409 before it
    // changes any role.
    if !rows::decide(conn, &row.id, now, &decision)? {
        return Err(Error::StateConflict(ALREADY_DECIDED));
    }
    if let Some((starts, expires)) = window {
        grant(conn, caller, &requester, &a, starts, expires)?;
    }
    let before = detail(conn, row.clone())?;
    let decided = find(conn, caller, &row.id)?;
    let after = detail(conn, decided)?;
    let action = if approve {
        AuditAction::AccessRequestApproved
    } else {
        AuditAction::AccessRequestDenied
    };
    caller.audit(
        conn,
        action,
        audit::object("access_request", &row.id),
        audit::diff(&snapshot(&before), &snapshot(&after)),
    )?;
    Ok(Decided { request: after })
}

/// Withdraws the caller's own pending request.
pub fn cancel(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<AccessRequestDetail> {
    let row = find(conn, caller, id)?;
    if row.requester_id != caller.user.id {
        let judge = Judge::load(conn, std::slice::from_ref(&row))?;
        if !judge.may_see(caller, &row) {
            return Err(Error::NotFound);
        }
        return Err(Error::Refused(NOT_REQUESTER));
    }
    let now = time::now();
    check_pending(&row, now)?;
    let decision = Decision {
        status: AccessRequestStatus::Cancelled,
        decided: now,
        decided_by_id: caller.user.id.clone(),
        decided_by_email: caller.user.email.clone(),
        decided_by_name: caller.user.name.clone(),
        comment: None,
        grant_starts: None,
        grant_expires: None,
    };
    if !rows::decide(conn, &row.id, now, &decision)? {
        return Err(Error::StateConflict(ALREADY_DECIDED));
    }
    let before = detail(conn, row.clone())?;
    let decided = find(conn, caller, &row.id)?;
    let after = detail(conn, decided)?;
    caller.audit(
        conn,
        AuditAction::AccessRequestCancelled,
        audit::object("access_request", &row.id),
        audit::diff(&snapshot(&before), &snapshot(&after)),
    )?;
    Ok(after)
}

fn check_pending(row: &AccessRequestRow, now: NaiveDateTime) -> Result<()> {
    match AccessRequestStatus::derive(row.status, row.expires, now) {
        AccessRequestStatus::Pending => Ok(()),
        AccessRequestStatus::Expired => Err(Error::StateConflict(EXPIRED)),
        AccessRequestStatus::Cancelled => Err(Error::StateConflict(CANCELLED)),
        _ => Err(Error::StateConflict(ALREADY_DECIDED)),
    }
}

/// Adds assignment `a` with its window to the requester's roles through
/// the same service call as a REST `user_roles` change, as `caller`.
fn grant(
    conn: &mut DbConnection,
    caller: &Caller,
    requester: &crate::db::models::UserRow,
    a: &Assignment,
    starts: NaiveDateTime,
    expires: NaiveDateTime,
) -> Result<()> {
    let held = users::roles_of(conn, std::slice::from_ref(&requester.id))?;
    if holds_in_force(&held, a, starts) {
        return Err(Error::StateConflict(REQUESTER_HOLDS));
    }
    // Every other assignment as it is; this one (new, or one of the same
    // role there that has ended or not yet begun) with the approved window.
    let mut items: Vec<AssignmentInput> = held
        .iter()
        .map(user_service::assignment_of_row)
        .filter(|held| held.key() != a.key())
        .map(|held| AssignmentInput::of(&held))
        .collect();
    items.push(AssignmentInput::of(&Assignment {
        starts: Some(starts),
        expires: Some(expires),
        ..a.clone()
    }));
    let mut patch = UserPatch {
        user_roles: Some(items),
        ..UserPatch::default()
    };
    patch.name(UserField::UserRoles);
    user_service::update(
        conn,
        caller,
        &requester.id,
        requester.is_apiuser,
        Parsed::valid(patch),
    )?;
    Ok(())
}

/// Whether `held` includes `a` (same role at the same place) in force at `now`.
fn holds_in_force(held: &[UserRoleDetail], a: &Assignment, now: NaiveDateTime) -> bool {
    held.iter().any(|r| {
        let held = user_service::assignment_of_row(r);
        held.key() == a.key() && held.in_force(now)
    })
}

fn same_place(row: &AccessRequestRow, a: &Assignment) -> bool {
    row.role_id == a.role.id
        && row.tier == a.tier
        && row.team_id == a.team
        && row.target_id == a.target
}

/// OWNER is never requestable, nor a membership role at account tier (a
/// user holds exactly one, and a grant that ends cannot give the old one
/// back); the tier rules of a `user_roles` item apply.
fn check_requestable(a: &Assignment, errors: &mut FieldErrors) {
    if a.role.builtin == Some(BuiltinRole::Owner) {
        errors.add("role", OWNER_NOT_REQUESTABLE);
        return;
    }
    if a.is_membership() {
        errors.add("role", MEMBERSHIP_NOT_REQUESTABLE);
        return;
    }
    // Judged as the second item of a list whose membership role is given.
    let membership = Assignment {
        role: RoleRef::builtin(BuiltinRole::Employee),
        tier: Tier::Account,
        team: None,
        target: None,
        starts: None,
        expires: None,
    };
    if let Err(Value::Array(items)) = user_roles::validate(
        &[Some(membership), Some(a.clone())],
        vec![FieldErrors::new(), FieldErrors::new()],
    ) && let Some(Value::Object(fields)) = items.get(1)
    {
        for (field, messages) in fields {
            for m in messages.as_array().into_iter().flatten() {
                if let Some(m) = m.as_str() {
                    errors.add(field, m);
                }
            }
        }
    }
}

fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<AccessRequestRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    rows::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

/// A built-in role by uppercase name or id, or one of the organization's own by id.
fn find_role(conn: &mut DbConnection, org: &str, raw: &str) -> Result<Option<RoleRow>> {
    let id = match BuiltinRole::by_name(raw) {
        Some(builtin) => builtin.id().to_owned(),
        None => match PublicId::parse(raw) {
            Some(id) => id.into_string(),
            None => return Ok(None),
        },
    };
    Ok(role_rows::find_assignable(conn, org, &id)?)
}

fn role_ref(role: &RoleRow) -> RoleRef {
    RoleRef {
        id: role.id.clone(),
        name: role.name.clone(),
        builtin: BuiltinRole::by_id(&role.id),
        permissions: role.permissions.iter().collect(),
    }
}

fn resolve_in_org(
    conn: &mut DbConnection,
    org: &str,
    field: &str,
    raw: Option<&str>,
    errors: &mut FieldErrors,
) -> Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    let found = match PublicId::parse(raw) {
        Some(id) if field == "team" => users::team_in_org(conn, org, id.as_str())?,
        Some(id) => users::target_in_org(conn, org, id.as_str())?,
        None => false,
    };
    if found {
        Ok(Some(raw.to_owned()))
    } else {
        errors.add(field, does_not_exist(raw));
        Ok(None)
    }
}

fn assignment_of(conn: &mut DbConnection, row: &AccessRequestRow) -> Result<Assignment> {
    let role = role_rows::find_assignable(conn, &row.organization_id, &row.role_id)?
        .ok_or(Error::NotFound)?;
    Ok(Assignment {
        role: role_ref(&role),
        tier: row.tier,
        team: row.team_id.clone(),
        target: row.target_id.clone(),
        starts: None,
        expires: None,
    })
}

/// What it takes to judge who may see and decide a set of requests: their
/// roles, their requesters' holdings and the teams of every target involved.
struct Judge {
    roles: HashMap<String, RoleRow>,
    holdings: HashMap<String, Grants>,
    teams_of_target: HashMap<String, Vec<String>>,
}

impl Judge {
    fn load(conn: &mut DbConnection, requests: &[AccessRequestRow]) -> Result<Self> {
        let role_ids: HashSet<String> = requests.iter().map(|r| r.role_id.clone()).collect();
        let mut roles = HashMap::new();
        for id in role_ids {
            if let Some(org) = requests.first().map(|r| r.organization_id.clone())
                && let Some(role) = role_rows::find_assignable(conn, &org, &id)?
            {
                roles.insert(id, role);
            }
        }
        let requesters: Vec<String> = requests
            .iter()
            .map(|r| r.requester_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut by_user: HashMap<String, Vec<UserRoleDetail>> = HashMap::new();
        if !requesters.is_empty() {
            for role in users::roles_of(conn, &requesters)? {
                by_user.entry(role.user_id.clone()).or_default().push(role);
            }
        }
        let holdings: HashMap<String, Grants> = by_user
            .iter()
            .map(|(user, roles)| (user.clone(), authority::grants_of(roles)))
            .collect();
        let mut target_ids: HashSet<String> = requests
            .iter()
            .filter_map(|r| r.target_id.clone())
            .collect();
        for grants in holdings.values() {
            target_ids.extend(grants.scope_targets().map(str::to_owned));
        }
        let mut teams_of_target: HashMap<String, Vec<String>> = HashMap::new();
        if !target_ids.is_empty() {
            let ids: Vec<String> = target_ids.into_iter().collect();
            for (target, team) in targets::teams_of(conn, &ids)? {
                teams_of_target.entry(target).or_default().push(team);
            }
        }
        Ok(Self {
            roles,
            holdings,
            teams_of_target,
        })
    }

    /// Whether `grants` could grant the request's role where it applies
    /// and act on its requester (the rules `decide` applies).
    fn may_decide(&self, grants: &Grants, r: &AccessRequestRow) -> bool {
        let Some(role) = self.roles.get(&r.role_id) else {
            return false;
        };
        let no_teams = Vec::new();
        let scope = match (r.tier, &r.team_id, &r.target_id) {
            (Tier::Team, Some(team), _) => Scope::Team(team),
            (Tier::Scope, _, Some(target)) => Scope::Target {
                id: target,
                teams: self.teams_of_target.get(target).unwrap_or(&no_teams),
            },
            _ => Scope::Organization,
        };
        let can_grant = grants.can(Permission::RolesGrant, scope)
            && role.permissions.iter().all(|p| grants.can(p, scope));
        let empty = Grants::default();
        let held = self.holdings.get(&r.requester_id).unwrap_or(&empty);
        can_grant && grants.covers(held, &self.teams_of_target)
    }

    fn may_see(&self, caller: &Caller, r: &AccessRequestRow) -> bool {
        r.requester_id == caller.user.id
            || caller.has(Permission::AccessReviewView)
            || self.may_decide(&caller.grants, r)
    }
}

/// The people who could decide `row` (its requester aside), at most
/// `MAIL_RECIPIENTS_MAX` of them.
fn approvers(conn: &mut DbConnection, row: &AccessRequestRow) -> Result<Vec<Person>> {
    let now = time::now();
    let judge = Judge::load(conn, std::slice::from_ref(row))?;
    let people = rows::active_people(conn, &row.organization_id)?;
    let ids: Vec<String> = people
        .iter()
        .map(|(id, _, _)| id.clone())
        .filter(|id| *id != row.requester_id)
        .collect();
    let mut by_user: HashMap<String, Vec<UserRoleDetail>> = HashMap::new();
    if !ids.is_empty() {
        for role in users::roles_of(conn, &ids)? {
            by_user.entry(role.user_id.clone()).or_default().push(role);
        }
    }
    Ok(people
        .into_iter()
        .filter(|(id, _, _)| *id != row.requester_id)
        .filter(|(id, _, _)| {
            by_user
                .get(id)
                .is_some_and(|roles| judge.may_decide(&authority::grants_in_force(roles, now), row))
        })
        .take(MAIL_RECIPIENTS_MAX)
        .map(|(id, email, name)| Person { id, email, name })
        .collect())
}

fn detail(conn: &mut DbConnection, row: AccessRequestRow) -> Result<AccessRequestDetail> {
    details(conn, vec![row])?.pop().ok_or(Error::NotFound)
}

/// The views' names of these requests, in a fixed number of queries.
fn details(
    conn: &mut DbConnection,
    found: Vec<AccessRequestRow>,
) -> Result<Vec<AccessRequestDetail>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids = |f: fn(&AccessRequestRow) -> Option<&String>| -> Vec<String> {
        found
            .iter()
            .filter_map(f)
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    };
    let people: HashMap<String, (String, String)> =
        rows::people(conn, &ids(|r| Some(&r.requester_id)))?
            .into_iter()
            .map(|(id, email, name)| (id, (email, name)))
            .collect();
    let roles: HashMap<String, String> = rows::role_names(conn, &ids(|r| Some(&r.role_id)))?
        .into_iter()
        .collect();
    let teams: HashMap<String, String> = rows::team_names(conn, &ids(|r| r.team_id.as_ref()))?
        .into_iter()
        .collect();
    let targets: HashMap<String, String> =
        rows::target_names(conn, &ids(|r| r.target_id.as_ref()))?
            .into_iter()
            .collect();
    let now = time::now();
    Ok(found
        .into_iter()
        .map(|row| {
            let (email, name) = people.get(&row.requester_id).cloned().unwrap_or_default();
            AccessRequestDetail {
                status: AccessRequestStatus::derive(row.status, row.expires, now),
                requester: Person {
                    id: row.requester_id.clone(),
                    email,
                    name,
                },
                role_name: roles.get(&row.role_id).cloned().unwrap_or_default(),
                team_name: row.team_id.as_ref().and_then(|t| teams.get(t).cloned()),
                target_name: row.target_id.as_ref().and_then(|t| targets.get(t).cloned()),
                row,
            }
        })
        .collect())
}

/// A request as the audit trail shows it.
fn snapshot(d: &AccessRequestDetail) -> audit::Changes {
    let r = &d.row;
    let at = |t: Option<NaiveDateTime>| t.map_or(Value::Null, |t| Value::String(time::format(&t)));
    let value = json!({
        "requester": r.requester_id,
        "role": r.role_id,
        "tier": r.tier.as_str(),
        "team": r.team_id,
        "target": r.target_id,
        "duration": r.duration,
        "reason": r.reason,
        "status": r.status.as_str(),
        "comment": r.comment,
        "decided_by": r.decided_by_id,
        "grant_starts": at(r.grant_starts),
        "grant_expires": at(r.grant_expires),
    });
    match value {
        Value::Object(map) => map,
        _ => audit::Changes::new(),
    }
}

/// Makes a request (`create`) and, once committed, mails the people who
/// could decide it (at most `MAIL_RECIPIENTS_MAX`). Mail is best effort:
/// a full queue or mail being off never fails the request.
pub async fn request(
    state: &AppState,
    caller: Caller,
    input: Parsed<NewAccessRequest>,
) -> Result<AccessRequestDetail> {
    let (created, organization) = state
        .db
        .write(move |conn| {
            let created = create(conn, &caller, input)?;
            let organization = crate::db::orgs::find(conn, caller.organization_id())?.name;
            Ok((created, organization))
        })
        .await?;
    let request = created.request;
    if state.mailer.enabled() {
        let link = state
            .mailer
            .url(&format!("/access-requests/{}/", request.row.id));
        for approver in created.approvers {
            state.mailer.send(Mail {
                to_email: approver.email,
                to_name: approver.name,
                kind: MailKind::AccessRequested {
                    organization: organization.clone(),
                    requester: format!("{} <{}>", request.requester.name, request.requester.email),
                    role: request.role_name.clone(),
                    place: place(&request),
                    duration: duration_text(request.row.duration),
                    reason: request.row.reason.clone(),
                    link: link.clone(),
                },
            });
        }
    }
    Ok(request)
}

/// Decides a request (`decide`) and, once committed, mails its requester.
pub async fn decide_and_notify(
    state: &AppState,
    caller: Caller,
    id: String,
    approve: bool,
    comment: Parsed<Option<String>>,
) -> Result<AccessRequestDetail> {
    let decider = caller.user.name.clone();
    let (decided, organization) = state
        .db
        .write(move |conn| {
            let decided = decide(conn, &caller, &id, approve, comment)?;
            let organization = crate::db::orgs::find(conn, caller.organization_id())?.name;
            Ok((decided, organization))
        })
        .await?;
    let request = decided.request;
    if state.mailer.enabled() {
        state.mailer.send(Mail {
            to_email: request.requester.email.clone(),
            to_name: request.requester.name.clone(),
            kind: MailKind::AccessDecided {
                organization,
                role: request.role_name.clone(),
                place: place(&request),
                approved: approve,
                decider,
                comment: request.row.comment.clone(),
                expires: request.row.grant_expires,
            },
        });
    }
    Ok(request)
}

/// Where the requested role applies, in words.
fn place(d: &AccessRequestDetail) -> String {
    match d.row.tier {
        Tier::Account => "the whole organization".to_owned(),
        Tier::Team => format!("team {}", d.team_name.as_deref().unwrap_or("?")),
        Tier::Scope => format!("target {}", d.target_name.as_deref().unwrap_or("?")),
    }
}

/// `3600` → `1 hour`, `90000` → `1 day 1 hour`, `61` → `1 minute 1 second`.
fn duration_text(seconds: i64) -> String {
    let units = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut left = seconds;
    let mut parts = Vec::new();
    for (size, name) in units {
        let n = left / size;
        left %= size;
        if n > 0 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_in_words() {
        assert_eq!(super::duration_text(3600), "1 hour");
        assert_eq!(
            super::duration_text(90_061),
            "1 day 1 hour 1 minute 1 second"
        );
        assert_eq!(super::duration_text(7200), "2 hours");
    }
}
