//! Every read and write of targets goes through here, so each rule and each
//! `changed_by` stamp has exactly one home. Functions run inside the caller's
//! database transaction (or read connection).
//!
//! Permissions are judged at account tier for now: reading needs
//! `targets.view`, writing `targets.manage`.

use std::collections::BTreeSet;

use crate::auth::{Caller, Scope};
use crate::db::models::{NewTarget, TargetChanges, TargetDetail, TargetRow};
use crate::db::targets::{self, TargetFilter, TargetOrdering};
use crate::db::{DbConnection, teams};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::target::{TargetName, TargetUrl};
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, REQUIRED, Result};
use crate::service::{Page, PageRequest, Parsed, audit, does_not_exist};

/// Parsed target fields; `None` leaves a field unchanged (or, on creation,
/// takes its default: no URL, no teams).
#[derive(Clone, Debug, Default)]
pub struct TargetInput {
    pub name: Option<TargetName>,
    pub url: Option<TargetUrl>,
    /// Team ids as the client wrote them, not yet resolved; replaces the set.
    pub teams: Option<Vec<String>>,
}

/// One page of targets (with their teams) and how many match in all.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<TargetDetail> {
    let row = find(conn, caller, id)?;
    let detail = targets::detail(conn, row)?;
    caller.require_at(
        Permission::TargetsView,
        Scope::Target {
            id: &detail.target.id,
            teams: &detail.teams,
        },
    )?;
    Ok(detail)
}

/// A malformed id or another organization's id is simply not found.
fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<TargetRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    targets::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<(TargetFilter, TargetOrdering)>,
    page: PageRequest,
) -> Result<Page<TargetDetail>> {
    caller.require(Permission::TargetsView)?;
    let (filter, ordering) = &query.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| targets::count(c, org, filter),
        |c, offset, limit| {
            let rows = targets::page(c, org, filter, *ordering, offset, limit)?;
            Ok(targets::with_teams(c, rows)?)
        },
    )
}

/// Whether `caller` may create targets at all: handlers ask before reading
/// the body, so that a forbidden request is a 403 whatever its body holds.
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::TargetsManage)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<TargetInput>,
) -> Result<TargetDetail> {
    authorize_create(caller)?;
    let Parsed {
        value: input,
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let teams = resolve_teams(conn, &org, input.teams.as_deref(), &mut errors)?;
    errors.into_result()?;
    let name = input.name.ok_or_else(|| Error::field("name", REQUIRED))?;
    let now = time::now();
    let actor = caller.actor();
    let row = NewTarget {
        id: PublicId::random().into_string(),
        organization_id: org.clone(),
        name: name.into_string(),
        url: input.url.map(TargetUrl::into_string).unwrap_or_default(),
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
    };
    targets::insert(conn, &row)?;
    if let Some(teams) = teams {
        targets::set_teams(conn, &row.id, &teams)?;
    }
    let target = reload(conn, &org, &row.id)?;
    caller.audit(
        conn,
        AuditAction::TargetCreated,
        audit::object("target", &row.id),
        audit::created(&audit::target_snapshot(&target)),
    )?;
    Ok(target)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    input: Parsed<TargetInput>,
) -> Result<TargetDetail> {
    let current = find(conn, caller, id)?;
    let current_teams: Vec<String> = targets::teams_of(conn, std::slice::from_ref(&current.id))?
        .into_iter()
        .map(|(_, team)| team)
        .collect();
    // Team and scope tiers cover this target; moving it between teams is
    // an organization-wide change.
    caller.require_at(
        Permission::TargetsManage,
        Scope::Target {
            id: &current.id,
            teams: &current_teams,
        },
    )?;
    if input.value.teams.is_some() {
        caller.require(Permission::TargetsManage)?;
    }
    let Parsed {
        value: input,
        mut errors,
    } = input;
    let org = caller.organization_id().to_owned();
    let teams = resolve_teams(conn, &org, input.teams.as_deref(), &mut errors)?;
    errors.into_result()?;
    let before = audit::target_snapshot(&reload(conn, &org, &current.id)?);
    let now = time::now();
    let actor = caller.actor();
    let changes = TargetChanges {
        name: input.name.map(TargetName::into_string),
        url: input.url.map(TargetUrl::into_string),
        changed: Some(now),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
    };
    targets::update(conn, &current.id, &changes)?;
    if let Some(teams) = teams {
        targets::set_teams(conn, &current.id, &teams)?;
    }
    let target = reload(conn, &org, &current.id)?;
    caller.audit(
        conn,
        AuditAction::TargetUpdated,
        audit::object("target", &current.id),
        audit::diff(&before, &audit::target_snapshot(&target)),
    )?;
    Ok(target)
}

/// Deletes the target with its scope-tier role assignments and its links to
/// teams (the teams themselves stay).
pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::TargetsManage)?;
    let before = audit::target_snapshot(&reload(conn, caller.organization_id(), &current.id)?);
    targets::delete(conn, &current.id)?;
    caller.audit(
        conn,
        AuditAction::TargetDeleted,
        audit::object("target", &current.id),
        audit::deleted(&before),
    )
}

fn reload(conn: &mut DbConnection, org: &str, id: &str) -> Result<TargetDetail> {
    let row = targets::find_in_org(conn, org, id)?.ok_or(Error::NotFound)?;
    Ok(targets::detail(conn, row)?)
}

/// The distinct teams named, all of the organization; each unknown,
/// foreign or malformed id is a message under `teams`.
fn resolve_teams(
    conn: &mut DbConnection,
    org: &str,
    ids: Option<&[String]>,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<String>>> {
    let Some(ids) = ids else { return Ok(None) };
    let mut seen = BTreeSet::new();
    let unique: Vec<&String> = ids.iter().filter(|id| seen.insert(*id)).collect();
    let wanted: Vec<String> = unique
        .iter()
        .filter(|id| PublicId::parse(id).is_some())
        .map(|id| (*id).clone())
        .collect();
    let found: BTreeSet<String> = teams::existing(conn, org, &wanted)?.into_iter().collect();
    for id in unique.iter().filter(|id| !found.contains(**id)) {
        errors.add("teams", does_not_exist(id));
    }
    Ok(Some(found.into_iter().collect()))
}
