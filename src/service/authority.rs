//! Who may act on whom (API.md, "Authorization"): a caller may change,
//! deactivate, delete, invite, reset, or set the password or email of a
//! user, or create, list or revoke an API user's keys, only if it holds
//! every permission that user holds, wherever the user holds it. Otherwise
//! a more powerful user could be taken over by a less powerful one (its
//! password set, its email changed, its keys minted), which is escalation.
//!
//! The rule is judged on the user's assignments *before* the change, so
//! giving someone a role at your own team first does not bring them within
//! reach. "Acting on an OWNER needs `owner.grant`" is one case of it.

use std::collections::HashMap;

use crate::auth::Caller;
use crate::auth::grants::Grants;
use crate::db::models::UserRoleDetail;
use crate::db::{DbConnection, targets, users};
use crate::domain::{time, user_roles};
use crate::error::{Error, Result};

/// 403 unless `caller` holds every permission of the user whose role
/// assignments are `roles`, where the user holds it.
pub fn require_over(
    conn: &mut DbConnection,
    caller: &Caller,
    roles: &[UserRoleDetail],
) -> Result<()> {
    let held = grants_of(roles);
    let on_targets: Vec<String> = held.scope_targets().map(str::to_owned).collect();
    let mut teams_of_target: HashMap<String, Vec<String>> = HashMap::new();
    if !on_targets.is_empty() {
        for (target, team) in targets::teams_of(conn, &on_targets)? {
            teams_of_target.entry(target).or_default().push(team);
        }
    }
    if caller.grants.covers(&held, &teams_of_target) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// `require_over` for the user `user_id`, reading its assignments.
pub fn require_over_user(conn: &mut DbConnection, caller: &Caller, user_id: &str) -> Result<()> {
    let roles = users::roles_of(conn, &[user_id.to_owned()])?;
    require_over(conn, caller, &roles)
}

/// What the assignments `roles` allow, where, now or later: an assignment
/// that has not started yet counts (acting on its holder must not wait for
/// it to bring them out of reach), one that has ended does not.
pub fn grants_of(roles: &[UserRoleDetail]) -> Grants {
    let now = time::now();
    grants_of_those(roles, |r| !user_roles::has_ended(r.expires, now))
}

/// What the assignments `roles` allow at `now`, as a caller holding them
/// would be allowed (authorization ignores a grant outside its window).
pub fn grants_in_force(roles: &[UserRoleDetail], now: chrono::NaiveDateTime) -> Grants {
    grants_of_those(roles, |r| user_roles::in_force(r.starts, r.expires, now))
}

/// What those of the assignments `roles` that `keep` allow, where.
fn grants_of_those(roles: &[UserRoleDetail], keep: impl Fn(&UserRoleDetail) -> bool) -> Grants {
    let mut grants = Grants::default();
    for role in roles.iter().filter(|r| keep(r)) {
        grants.add(
            role.tier,
            role.team_id.as_deref(),
            role.target_id.as_deref(),
            role.role_permissions.iter(),
        );
    }
    grants
}
