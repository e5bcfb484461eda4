//! What a caller may grant, for an interface to offer: the roles it may
//! grant organization-wide, and the teams and targets where it may grant
//! some role, with those roles. Judged with the rule of
//! `service::users::authorize_grant` (`roles.grant` and every permission of
//! the role, held where the grant applies), which still judges the write.

use crate::auth::{Caller, Scope};
use crate::db::DbConnection;
use crate::db::roles::RoleOrderField;
use crate::db::targets::{TargetFilter, TargetOrdering};
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::domain::role::{BuiltinRole, Permission};
use crate::error::Result;
use crate::service::{PageRequest, Parsed, roles, targets, teams};

/// A choice: an id and a name.
pub type Named = (String, String);

#[derive(Debug, Default)]
pub struct GrantMenu {
    /// Roles the caller may grant at account tier.
    pub account: Vec<Named>,
    /// Teams where it may grant a role, and the roles it may grant at one
    /// of them.
    pub teams: Vec<Named>,
    pub team_roles: Vec<Named>,
    /// Likewise for targets (scope tier).
    pub targets: Vec<Named>,
    pub target_roles: Vec<Named>,
}

/// The first 100 roles, teams and targets (by name) the caller may grant.
pub fn menu(conn: &mut DbConnection, caller: &Caller) -> Result<GrantMenu> {
    if !caller.grants.anywhere(Permission::RolesGrant) || !caller.has(Permission::UsersView) {
        return Ok(GrantMenu::default());
    }
    let page = PageRequest::new(1, PageRequest::MAX_LENGTH);
    let all_roles = roles::list(
        conn,
        caller,
        Parsed::valid((None, (RoleOrderField::Name, false))),
        page,
    )?
    .rows;
    let may = |scope: Scope, permissions: &crate::domain::role::PermissionSet| {
        caller.can(Permission::RolesGrant, scope)
            && permissions.iter().all(|p| caller.can(p, scope))
    };
    let mut menu = GrantMenu {
        account: all_roles
            .iter()
            .filter(|r| may(Scope::Organization, &r.permissions))
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect(),
        ..GrantMenu::default()
    };
    let beyond_account: Vec<_> = all_roles
        .iter()
        .filter(|r| !BuiltinRole::by_id(&r.id).is_some_and(BuiltinRole::account_tier_only))
        .collect();
    let all_teams = teams::list(
        conn,
        caller,
        Parsed::valid((TeamFilter::default(), TeamOrdering::default())),
        page,
    )?
    .rows;
    let mut team_roles = std::collections::BTreeSet::new();
    for team in &all_teams {
        let grantable: Vec<_> = beyond_account
            .iter()
            .filter(|r| may(Scope::Team(&team.id), &r.permissions))
            .collect();
        if !grantable.is_empty() {
            menu.teams.push((team.id.clone(), team.name.clone()));
            team_roles.extend(grantable.iter().map(|r| r.id.clone()));
        }
    }
    menu.team_roles = beyond_account
        .iter()
        .filter(|r| team_roles.contains(&r.id))
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    if caller.has(Permission::TargetsView) {
        let all_targets = targets::list(
            conn,
            caller,
            Parsed::valid((TargetFilter::default(), TargetOrdering::default())),
            page,
        )?
        .rows;
        let mut target_roles = std::collections::BTreeSet::new();
        for t in &all_targets {
            let scope = Scope::Target {
                id: &t.target.id,
                teams: &t.teams,
            };
            let grantable: Vec<_> = beyond_account
                .iter()
                .filter(|r| may(scope, &r.permissions))
                .collect();
            if !grantable.is_empty() {
                menu.targets
                    .push((t.target.id.clone(), t.target.name.clone()));
                target_roles.extend(grantable.iter().map(|r| r.id.clone()));
            }
        }
        menu.target_roles = beyond_account
            .iter()
            .filter(|r| target_roles.contains(&r.id))
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect();
    }
    Ok(menu)
}
