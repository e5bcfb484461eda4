//! The audit trail's one home. Services call `record` inside the transaction
//! of the change they make, so an event exists if and only if its change
//! committed. Events hold before/after values of the fields that changed,
//! taken from the snapshots below, which never include secrets or hashes.

use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::db::audit::{self as rows, AuditEventRow, AuditFilter};
use crate::db::keys::KeyRow;
use crate::db::models::{
    LabelRow, OrganizationRow, RoleRow, TargetDetail, TeamRow, UserDetail, UserRow,
};
use crate::db::{DbConnection, users};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::{PublicId, time};
use crate::error::Error;
use crate::error::Result;
use crate::service::{Page, PageRequest, Parsed};

/// Through which interface a change came.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interface {
    #[default]
    Rest,
    Mcp,
    Scim,
    Cli,
    Scheduler,
    /// A sign-in through a single sign-on connection.
    Sso,
    /// The administrator's console in the browser (`/console/`).
    Console,
}

impl Interface {
    pub const ALL: [Interface; 7] = [
        Interface::Rest,
        Interface::Mcp,
        Interface::Scim,
        Interface::Cli,
        Interface::Scheduler,
        Interface::Sso,
        Interface::Console,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Rest => "rest",
            Interface::Mcp => "mcp",
            Interface::Scim => "scim",
            Interface::Cli => "cli",
            Interface::Scheduler => "scheduler",
            Interface::Sso => "sso",
            Interface::Console => "console",
        }
    }
}

/// Where a request came from, as the audit trail records it.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub interface: Interface,
}

impl RequestContext {
    pub fn cli() -> Self {
        Self {
            interface: Interface::Cli,
            ..Self::default()
        }
    }
}

/// Field changes: `{"field": {"before": ..., "after": ...}}`.
pub type Changes = Map<String, Value>;

/// What an event is about.
pub struct Object<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

pub fn object<'a>(kind: &'a str, id: &'a str) -> Object<'a> {
    Object { kind, id }
}

/// Appends one event. `actor` is `None` for an anonymous attempt (a failed
/// login, a link token); a user, API user or the `System` actor otherwise.
pub fn record(
    conn: &mut DbConnection,
    organization_id: &str,
    actor: Option<&UserRow>,
    context: &RequestContext,
    action: AuditAction,
    object: Object,
    changes: Changes,
) -> Result<()> {
    let actor_type = match actor {
        None => "anonymous",
        Some(u) if u.is_system => "system",
        Some(u) if u.is_apiuser => "api_user",
        Some(_) => "user",
    };
    let row = AuditEventRow {
        id: PublicId::random().into_string(),
        organization_id: organization_id.to_owned(),
        occurred: time::now(),
        actor_type: actor_type.to_owned(),
        actor_id: actor.map(|u| u.id.clone()),
        actor_email: actor.map(|u| u.email.clone()),
        actor_name: actor.map(|u| u.name.clone()),
        action: action.as_str().to_owned(),
        object_type: object.kind.to_owned(),
        object_id: object.id.to_owned(),
        changes: Value::Object(changes.clone()).to_string(),
        request_id: context.request_id.clone(),
        client_address: context.client_address.clone(),
        user_agent: context.user_agent.clone(),
        interface: context.interface.as_str().to_owned(),
    };
    rows::insert(conn, &row)?;
    // The outbox of webhooks is fed from here: same transaction, same change.
    super::webhooks::emit(conn, organization_id, action, &row, &changes)
}

/// Records a change made by the organization's `System` actor (scheduler,
/// first-run bootstrap).
pub fn record_by_system(
    conn: &mut DbConnection,
    organization_id: &str,
    context: &RequestContext,
    action: AuditAction,
    object: Object,
    changes: Changes,
) -> Result<()> {
    let system = users::system_actor(conn, organization_id)?;
    record(
        conn,
        organization_id,
        Some(&system),
        context,
        action,
        object,
        changes,
    )
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: Parsed<AuditFilter>,
    oldest_first: bool,
    page: PageRequest,
) -> Result<Page<AuditEventRow>> {
    caller.require(Permission::AuditView)?;
    let filter = &filter.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| rows::count(c, org, filter),
        |c, offset, limit| Ok(rows::page(c, org, filter, oldest_first, offset, limit)?),
    )
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<AuditEventRow> {
    caller.require(Permission::AuditView)?;
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    rows::find(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

/// Deletes events older than `days`; returns how many.
pub fn prune(conn: &mut DbConnection, days: u32) -> Result<usize> {
    let cutoff = time::now() - chrono::Duration::days(i64::from(days));
    Ok(rows::prune(conn, cutoff)?)
}

/// The fields whose values differ, with both values (a field missing on
/// one side is `null` there).
pub fn diff(before: &Changes, after: &Changes) -> Changes {
    let mut changes = Map::new();
    for key in before.keys().chain(after.keys()) {
        let (b, a) = (
            before.get(key).unwrap_or(&Value::Null),
            after.get(key).unwrap_or(&Value::Null),
        );
        if b != a && !changes.contains_key(key) {
            changes.insert(key.clone(), json!({"before": b, "after": a}));
        }
    }
    changes
}

/// All fields of a new object (before: null).
pub fn created(after: &Changes) -> Changes {
    diff(&Map::new(), after)
}

/// All fields of a deleted object (after: null).
pub fn deleted(before: &Changes) -> Changes {
    diff(before, &Map::new())
}

fn object_of(value: Value) -> Changes {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn time_value(t: Option<chrono::NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time::format(&t)))
}

/// A user's audited fields (no password hash, no MFA secret).
pub fn user_snapshot(detail: &UserDetail) -> Changes {
    let u = &detail.user;
    let mut labels: Vec<&str> = detail.labels.iter().map(|l| l.id.as_str()).collect();
    labels.sort_unstable();
    let mut roles: Vec<Value> = detail
        .roles
        .iter()
        .map(|r| {
            let mut role = json!({"role": r.role_name, "tier": r.tier, "team": r.team_id, "target": r.target_id});
            // A window only where there is one: events of unbounded roles
            // read as they always did.
            for (key, at) in [("starts", r.starts), ("expires", r.expires)] {
                if at.is_some() {
                    role[key] = time_value(at);
                }
            }
            role
        })
        .collect();
    roles.sort_by_key(|v| v.to_string());
    let extra: Value = serde_json::from_str(&u.additional_email_addresses).unwrap_or(json!([]));
    object_of(json!({
        "email": u.email,
        "name": u.name,
        "title": u.title,
        "active": u.active,
        "kind": u.kind,
        "position": u.position,
        "additional_email_addresses": extra,
        "contract_start_date": time_value(u.contract_start_date),
        "contract_end_date": time_value(u.contract_end_date),
        "mfa_enabled": u.mfa_enabled,
        "external_id": u.external_id,
        "labels": labels,
        "user_roles": roles,
    }))
}

pub fn label_snapshot(l: &LabelRow) -> Changes {
    object_of(json!({"name": l.name, "color": l.color}))
}

pub fn team_snapshot(t: &TeamRow) -> Changes {
    object_of(json!({"name": t.name, "description": t.description, "external_id": t.external_id}))
}

pub fn target_snapshot(t: &TargetDetail) -> Changes {
    let mut teams = t.teams.clone();
    teams.sort_unstable();
    object_of(json!({"name": t.target.name, "url": t.target.url, "teams": teams}))
}

pub fn role_snapshot(r: &RoleRow) -> Changes {
    let mut permissions: Vec<&str> = r.permissions.iter().map(|p| p.as_str()).collect();
    permissions.sort_unstable();
    object_of(json!({
        "name": r.name,
        "description": r.description,
        "permissions": permissions,
        "max_duration": r.max_duration,
    }))
}

/// A key's name, prefix and expiry (never its hash).
pub fn key_snapshot(k: &KeyRow) -> Changes {
    object_of(json!({
        "name": k.name,
        "prefix": k.prefix,
        "user": k.user_id,
        "expires": time_value(k.expires),
    }))
}

pub fn organization_snapshot(o: &OrganizationRow) -> Changes {
    object_of(json!({
        "name": o.name,
        "dormant_after_days": o.dormant_after_days,
        "dormant_action": o.dormant_action,
    }))
}

/// One field's change, for events that are about one thing.
pub fn change(field: &str, before: Value, after: Value) -> Changes {
    let mut changes = Map::new();
    changes.insert(field.to_owned(), json!({"before": before, "after": after}));
    changes
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{created, diff, object_of};

    #[test]
    fn diff_keeps_only_changed_fields_with_both_values() {
        let before = object_of(json!({"name": "a", "color": "red", "gone": 1}));
        let after = object_of(json!({"name": "b", "color": "red", "new": true}));
        assert_eq!(
            serde_json::Value::Object(diff(&before, &after)),
            json!({
                "name": {"before": "a", "after": "b"},
                "gone": {"before": 1, "after": null},
                "new": {"before": null, "after": true},
            })
        );
        assert!(diff(&before, &before).is_empty());
    }

    #[test]
    fn created_lists_every_field() {
        let after = object_of(json!({"name": "x", "note": null}));
        // A null field of a new object did not change: it is left out.
        assert_eq!(
            serde_json::Value::Object(created(&after)),
            json!({"name": {"before": null, "after": "x"}})
        );
    }
}
