//! Every read and write of teams goes through here, so each rule and each
//! `changed_by` stamp has exactly one home. Functions run inside the caller's
//! database transaction (or read connection).
//!
//! Permissions are judged at account tier for now: reading needs
//! `users.view`, writing `teams.manage`.

use std::collections::BTreeSet;

use crate::auth::{Caller, Scope};
use crate::db::models::{NewTeam, TeamChanges, TeamRow};
use crate::db::teams::{self, TeamFilter, TeamOrdering};
use crate::db::{DbConnection, users as user_rows};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::team::{Description, TeamName};
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, REQUIRED, Result};
use crate::service::users::{
    self as user_service, AssignmentInput, UserField, UserPatch, assignments_of,
};
use crate::service::{Page, PageRequest, Parsed, audit, does_not_exist};

/// Parsed team fields; `None` leaves a field unchanged (or, on creation,
/// takes its default).
#[derive(Clone, Debug, Default)]
pub struct TeamInput {
    pub name: Option<TeamName>,
    pub description: Option<Description>,
    /// SCIM `externalId`; `Some(None)` clears it.
    pub external_id: Option<Option<String>>,
}

/// One page of teams and how many match in all.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<TeamRow> {
    caller.require(Permission::UsersView)?;
    find(conn, caller, id)
}

/// A malformed id or another organization's id is simply not found.
fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<TeamRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    teams::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<(TeamFilter, TeamOrdering)>,
    page: PageRequest,
) -> Result<Page<TeamRow>> {
    caller.require(Permission::UsersView)?;
    let (filter, ordering) = &query.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| teams::count(c, org, filter),
        |c, offset, limit| Ok(teams::page(c, org, filter, *ordering, offset, limit)?),
    )
}

/// How many teams match `filter`. Needs `users.view`.
pub fn count(conn: &mut DbConnection, caller: &Caller, filter: &TeamFilter) -> Result<i64> {
    caller.require(Permission::UsersView)?;
    Ok(teams::count(conn, caller.organization_id(), filter)?)
}

/// How many people are members of each of `teams` (one query for a page
/// of them), in their order. Needs `users.view`.
pub fn member_counts(
    conn: &mut DbConnection,
    caller: &Caller,
    teams: &[TeamRow],
) -> Result<Vec<i64>> {
    caller.require(Permission::UsersView)?;
    // Rows of this organization only: the ids come from its own list.
    let ids: Vec<String> = teams
        .iter()
        .filter(|t| t.organization_id == caller.organization_id())
        .map(|t| t.id.clone())
        .collect();
    let counted: std::collections::HashMap<String, i64> =
        teams::member_counts(conn, &ids)?.into_iter().collect();
    Ok(teams
        .iter()
        .map(|t| counted.get(&t.id).copied().unwrap_or(0))
        .collect())
}

/// `limit` teams from `offset`, uncounted (SCIM counts apart, or filters
/// further in memory).
pub fn window(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &TeamFilter,
    ordering: TeamOrdering,
    offset: i64,
    limit: i64,
) -> Result<Vec<TeamRow>> {
    caller.require(Permission::UsersView)?;
    Ok(teams::page(
        conn,
        caller.organization_id(),
        filter,
        ordering,
        offset,
        limit,
    )?)
}

/// Whether `caller` may create teams at all: handlers ask before reading
/// the body, so that a forbidden request is a 403 whatever its body holds.
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::TeamsManage)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<TeamInput>,
) -> Result<TeamRow> {
    authorize_create(caller)?;
    let Parsed {
        value: input,
        errors,
    } = input;
    errors.into_result()?;
    let name = input.name.ok_or_else(|| Error::field("name", REQUIRED))?;
    let now = time::now();
    let actor = caller.actor();
    let row = NewTeam {
        id: PublicId::random().into_string(),
        organization_id: caller.organization_id().to_owned(),
        name: name.into_string(),
        description: input
            .description
            .map(Description::into_string)
            .unwrap_or_default(),
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
        external_id: input.external_id.flatten(),
    };
    teams::insert(conn, &row)?;
    let team = teams::find_in_org(conn, &row.organization_id, &row.id)?.ok_or(Error::NotFound)?;
    caller.audit(
        conn,
        AuditAction::TeamCreated,
        audit::object("team", &team.id),
        audit::created(&audit::team_snapshot(&team)),
    )?;
    Ok(team)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    input: Parsed<TeamInput>,
) -> Result<TeamRow> {
    let current = find(conn, caller, id)?;
    // Team tier: teams.manage lets the holder edit that team (not create or delete teams).
    caller.require_at(Permission::TeamsManage, Scope::Team(&current.id))?;
    let Parsed {
        value: input,
        errors,
    } = input;
    errors.into_result()?;
    let now = time::now();
    let actor = caller.actor();
    let changes = TeamChanges {
        name: input.name.map(TeamName::into_string),
        description: input.description.map(Description::into_string),
        changed: Some(now),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
        external_id: input.external_id,
    };
    teams::update(conn, &current.id, &changes)?;
    let team =
        teams::find_in_org(conn, caller.organization_id(), &current.id)?.ok_or(Error::NotFound)?;
    caller.audit(
        conn,
        AuditAction::TeamUpdated,
        audit::object("team", &team.id),
        audit::diff(
            &audit::team_snapshot(&current),
            &audit::team_snapshot(&team),
        ),
    )?;
    Ok(team)
}

/// Deletes the team with its team-tier role assignments and its links to
/// targets (the targets themselves stay).
pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::TeamsManage)?;
    teams::delete(conn, &current.id)?;
    caller.audit(
        conn,
        AuditAction::TeamDeleted,
        audit::object("team", &current.id),
        audit::deleted(&audit::team_snapshot(&current)),
    )
}

/// Changes who is a member of the team (holds a role at its tier): each of
/// `add` not yet a member is granted `role` there, each of `remove` loses
/// every assignment at the team. Each user's assignments are written by
/// `users::update`, so `roles.grant`, the no-escalation rule and the audit
/// trail (`user.updated`, `membership.updated`) apply as to any other
/// change; the team's `changed` is stamped.
pub fn change_members(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    add: &[String],
    remove: &[String],
    role: &str,
) -> Result<TeamRow> {
    let team = find(conn, caller, id)?;
    caller.require_at(Permission::TeamsManage, Scope::Team(&team.id))?;
    let named: BTreeSet<String> = add.iter().chain(remove).cloned().collect();
    let named: Vec<String> = named.into_iter().collect();
    let people = user_rows::existing_visible(conn, caller.organization_id(), false, &named)?;
    let unknown: Vec<&String> = named.iter().filter(|n| !people.contains(n)).collect();
    if let Some(first) = unknown.first() {
        let mut errors = FieldErrors::new();
        errors.add("members", does_not_exist(first.as_str()));
        return Err(Error::Validation(errors));
    }
    let members: BTreeSet<String> = teams::members(conn, std::slice::from_ref(&team.id))?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut changed = false;
    for user in add.iter().collect::<BTreeSet<_>>() {
        if members.contains(user) || remove.contains(user) {
            continue;
        }
        let mut items = current_items(conn, user)?;
        items.push(AssignmentInput {
            role: Some(role.to_owned()),
            tier: Some("team".into()),
            team: Some(team.id.clone()),
            ..AssignmentInput::default()
        });
        set_assignments(conn, caller, user, items)?;
        changed = true;
    }
    for user in remove.iter().collect::<BTreeSet<_>>() {
        if !members.contains(user) {
            continue;
        }
        let items = current_items(conn, user)?
            .into_iter()
            .filter(|a| a.team.as_deref() != Some(team.id.as_str()))
            .collect();
        set_assignments(conn, caller, user, items)?;
        changed = true;
    }
    if !changed {
        return Ok(team);
    }
    let actor = caller.actor();
    teams::update(
        conn,
        &team.id,
        &TeamChanges {
            changed: Some(time::now()),
            changed_by_id: Some(actor.id),
            changed_by_email: Some(actor.email),
            changed_by_name: Some(actor.name),
            ..TeamChanges::default()
        },
    )?;
    teams::find_in_org(conn, caller.organization_id(), &team.id)?.ok_or(Error::NotFound)
}

/// A user's assignments as the input that would write them again.
fn current_items(conn: &mut DbConnection, user: &str) -> Result<Vec<AssignmentInput>> {
    Ok(assignments_of(conn, user)?
        .into_iter()
        .map(|a| AssignmentInput::of(&a))
        .collect())
}

fn set_assignments(
    conn: &mut DbConnection,
    caller: &Caller,
    user: &str,
    items: Vec<AssignmentInput>,
) -> Result<()> {
    let mut patch = UserPatch {
        user_roles: Some(items),
        ..UserPatch::default()
    };
    patch.name(UserField::UserRoles);
    user_service::update(conn, caller, user, false, Parsed::valid(patch)).map(drop)
}
