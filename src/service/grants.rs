//! The scheduler's work on role assignments with an end: removing those
//! that have expired. Authorization already ignores them from the moment
//! they expire (`domain::user_roles::in_force`); removing them keeps the
//! user's roles, the access review and SCIM true, and records the end in
//! the audit trail (`role.expired`, webhook `membership.expired`).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::Connection;

use crate::auth::Caller;
use crate::db::models::UserChanges;
use crate::db::{DbConnection, users};
use crate::domain::audit::AuditAction;
use crate::error::Result;
use crate::service::audit::{self, Interface};

/// How many expired assignments one round reads at most; the next round
/// takes the rest.
pub const ROUND_MAX: i64 = 1000;

/// Removes the assignments expired at `now`, each user's in a savepoint of
/// its own with one `role.expired` event by its organization's `System`
/// actor. Returns how many assignments it removed.
pub fn remove_expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize> {
    let mut by_user: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (organization_id, user_id, assignment_id) in
        users::expired_assignments(conn, now, ROUND_MAX)?
    {
        by_user
            .entry((organization_id, user_id))
            .or_default()
            .push(assignment_id);
    }
    let mut removed = 0;
    let mut systems: BTreeMap<String, Caller> = BTreeMap::new();
    for ((organization_id, user_id), ids) in by_user {
        let system = match systems.get(&organization_id) {
            Some(system) => system,
            None => {
                let system = Caller::system(conn, &organization_id, Interface::Scheduler)?;
                systems.entry(organization_id).or_insert(system)
            }
        };
        removed += conn.transaction(|conn| expire(conn, system, &user_id, &ids, now))?;
    }
    Ok(removed)
}

/// Removes one user's expired assignments `ids` and records it.
fn expire(
    conn: &mut DbConnection,
    system: &Caller,
    user_id: &str,
    ids: &[String],
    now: NaiveDateTime,
) -> Result<usize> {
    crate::db::lock_user(conn, user_id)?;
    let Some(user) = users::find(conn, user_id)? else {
        return Ok(0);
    };
    let before = users::detail(conn, user)?;
    // Under the lock: only what is still there and still expired (an
    // administrator may have extended it since it was read).
    let ids: Vec<String> = before
        .roles
        .iter()
        .filter(|r| ids.contains(&r.id) && r.expires.is_some_and(|e| e <= now))
        .map(|r| r.id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    users::delete_roles(conn, &ids)?;
    let actor = system.actor();
    users::update(
        conn,
        user_id,
        &UserChanges {
            changed: Some(now),
            changed_by_id: Some(actor.id),
            changed_by_email: Some(actor.email),
            changed_by_name: Some(actor.name),
            ..UserChanges::default()
        },
    )?;
    let user = users::find(conn, user_id)?.ok_or(crate::error::Error::NotFound)?;
    let after = users::detail(conn, user)?;
    system.audit(
        conn,
        AuditAction::RoleExpired,
        audit::object(
            if after.user.is_apiuser {
                "api_user"
            } else {
                "user"
            },
            user_id,
        ),
        audit::diff(
            &audit::user_snapshot(&before),
            &audit::user_snapshot(&after),
        ),
    )?;
    Ok(ids.len())
}
