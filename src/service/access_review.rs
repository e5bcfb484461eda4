//! The access review: for every user and API user, each permission it holds
//! right now, where it applies and which role assignment grants it. Built
//! with `Grants`, the code that enforces access, so the report says exactly
//! what the service would allow.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::auth::grants::{GrantedAt, Grants};
use crate::auth::{Caller, Scope};
use crate::db::access_review::{self as rows, Covering, ReviewFilter};
use crate::db::models::{UserRoleDetail, UserRow};
use crate::db::{DbConnection, orgs, targets, teams, users};
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::{PublicId, dormancy, time, user_roles};
use crate::error::{Error, Result};
use crate::service::{Page, PageRequest, Parsed, does_not_exist};

/// The review's filters as a client wrote them.
#[derive(Clone, Debug, Default)]
pub struct ReviewQuery {
    pub user: Option<String>,
    /// A role id or a built-in role's name.
    pub role: Option<String>,
    pub permission: Option<Permission>,
    pub team: Option<String>,
    pub target: Option<String>,
    /// Without `team` and `target`: only what applies organization-wide
    /// (account tier), instead of anywhere (`/authz/who/`'s question).
    pub organization_wide: bool,
}

/// One permission a user holds.
#[derive(Clone, Debug)]
pub struct Entry {
    pub permission: Permission,
    pub at: GrantedAt,
    /// The team's or target's name.
    pub at_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub tier: Tier,
    /// The user_role the permission comes from.
    pub assignment_id: String,
    /// That assignment's window (none: unbounded).
    pub starts: Option<NaiveDateTime>,
    pub expires: Option<NaiveDateTime>,
}

/// One user's line of the review.
#[derive(Clone, Debug)]
pub struct Reviewed {
    pub user: UserRow,
    pub entries: Vec<Entry>,
    pub key_count: i64,
    pub key_last_used: Option<NaiveDateTime>,
    /// Neither signed in nor used an API key for the organization's
    /// `dormant_after_days` (always false when that is not set).
    pub dormant: bool,
}

/// The filters, checked and resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// What reading it needs at account tier: `access_review.view` for the
    /// review, `authz.check` for `/authz/who/` (the same question, narrowed).
    needs: Permission,
    sql: ReviewFilter,
    role: Option<String>,
    permission: Option<Permission>,
    team: Option<String>,
    /// The target and the teams it belongs to.
    target: Option<(String, Vec<String>)>,
    /// Only what applies organization-wide (see `ReviewQuery`).
    organization_wide: bool,
}

impl Resolved {
    /// One permission question (`/authz/check/`): `permission` at the
    /// organization, a team, or a target (with its teams).
    pub(crate) fn question(
        permission: Permission,
        team: Option<String>,
        target: Option<(String, Vec<String>)>,
    ) -> Self {
        Self {
            needs: Permission::AuthzCheck,
            sql: ReviewFilter::default(),
            role: None,
            permission: Some(permission),
            organization_wide: team.is_none() && target.is_none(),
            team,
            target,
        }
    }
}

/// Checks the caller may review, then resolves the filters (unknown ids are
/// 400s naming the parameter).
pub fn resolve(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<ReviewQuery>,
) -> Result<Resolved> {
    resolve_for(conn, caller, query, Permission::AccessReviewView)
}

/// `resolve`, for a reader that needs `needs` (see `Resolved::needs`).
pub fn resolve_for(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<ReviewQuery>,
    needs: Permission,
) -> Result<Resolved> {
    caller.require(needs)?;
    let Parsed {
        value: query,
        mut errors,
    } = query;
    let org = caller.organization_id();
    let mut known =
        |key: &str, raw: Option<String>, exists: &mut dyn FnMut(&str) -> Result<bool>| {
            let Some(raw) = raw else { return Ok(None) };
            match PublicId::parse(&raw) {
                Some(id) if exists(id.as_str())? => Ok(Some(id.into_string())),
                _ => {
                    errors.add(key, does_not_exist(&raw));
                    Ok::<_, Error>(None)
                }
            }
        };
    let user = known("user", query.user, &mut |id| {
        Ok(users::find(conn, id)?.is_some_and(|u| u.organization_id == org && !u.is_system))
    })?;
    let team = known("team", query.team, &mut |id| {
        Ok(teams::find_in_org(conn, org, id)?.is_some())
    })?;
    let target = known("target", query.target, &mut |id| {
        Ok(targets::find_in_org(conn, org, id)?.is_some())
    })?;
    let roles = rows::roles_in_use(conn, org)?;
    let role = match query.role {
        None => None,
        Some(raw) => {
            let id = BuiltinRole::by_name(&raw.to_uppercase())
                .map(|b| b.id().to_owned())
                .unwrap_or(raw.clone());
            if roles.iter().any(|(r, _)| *r == id) {
                Some(id)
            } else {
                errors.add("role", does_not_exist(&raw));
                None
            }
        }
    };
    errors.into_result()?;

    let target = match target {
        Some(id) => {
            let of = targets::teams_of(conn, std::slice::from_ref(&id))?;
            Some((id, of.into_iter().map(|(_, team)| team).collect::<Vec<_>>()))
        }
        None => None,
    };
    // The SQL image of the entry filters below.
    let mut role_ids: Option<Vec<String>> = role.clone().map(|r| vec![r]);
    if let Some(p) = query.permission {
        let granting: Vec<String> = roles
            .iter()
            .filter(|(_, held)| held.contains(p))
            .map(|(id, _)| id.clone())
            .filter(|id| role.as_ref().is_none_or(|r| r == id))
            .collect();
        role_ids = Some(granting);
    }
    let organization_wide = query.organization_wide && team.is_none() && target.is_none();
    let covering = match (&team, &target) {
        // Account tier alone.
        (None, None) if organization_wide => Some(Covering::default()),
        (None, None) => None,
        (Some(t), None) => Some(Covering {
            teams: vec![t.clone()],
            targets: Vec::new(),
        }),
        (None, Some((x, of))) => Some(Covering {
            teams: of.clone(),
            targets: vec![x.clone()],
        }),
        (Some(t), Some((_, of))) => Some(Covering {
            teams: of.iter().filter(|o| *o == t).cloned().collect(),
            targets: Vec::new(),
        }),
    };
    Ok(Resolved {
        needs,
        sql: ReviewFilter {
            user,
            roles: role_ids,
            covering,
        },
        role,
        permission: query.permission,
        team,
        target,
        organization_wide,
    })
}

/// A page of the review.
pub fn review(
    conn: &mut DbConnection,
    caller: &Caller,
    resolved: &Resolved,
    page: PageRequest,
) -> Result<Page<Reviewed>> {
    caller.require(resolved.needs)?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| rows::count(c, org, &resolved.sql),
        |c, offset, limit| chunk(c, caller, resolved, offset, limit),
    )
}

/// `limit` users from `offset`, with their entries (three queries).
pub fn chunk(
    conn: &mut DbConnection,
    caller: &Caller,
    resolved: &Resolved,
    offset: i64,
    limit: i64,
) -> Result<Vec<Reviewed>> {
    caller.require(resolved.needs)?;
    let people = rows::page(conn, caller.organization_id(), &resolved.sql, offset, limit)?;
    let ids: Vec<String> = people.iter().map(|u| u.id.clone()).collect();
    let mut assignments: HashMap<String, Vec<UserRoleDetail>> = HashMap::new();
    for role in users::roles_of(conn, &ids)? {
        assignments
            .entry(role.user_id.clone())
            .or_default()
            .push(role);
    }
    let keys = rows::key_stats(conn, &ids)?;
    let dormant_after = orgs::find(conn, caller.organization_id())?.dormant_after_days;
    let now = time::now();
    Ok(people
        .into_iter()
        .map(|user| {
            let entries = assignments
                .remove(&user.id)
                .unwrap_or_default()
                .iter()
                .flat_map(|a| entries_of(a, resolved))
                .collect();
            let (key_count, key_last_used) = keys.get(&user.id).cloned().unwrap_or((0, None));
            let dormant = dormant_after.is_some_and(|days| {
                dormancy::is_dormant(last_activity(&user, key_last_used), now, days)
            });
            Reviewed {
                user,
                entries,
                key_count,
                key_last_used,
                dormant,
            }
        })
        .collect())
}

/// When a user last did anything: its last sign-in or API-key use, else
/// (never either) its creation.
pub fn last_activity(user: &UserRow, key_last_used: Option<NaiveDateTime>) -> NaiveDateTime {
    user.last_login.max(key_last_used).unwrap_or(user.created)
}

/// The permissions one assignment grants, through `Grants` exactly as a
/// request would see them, narrowed by the filters: none while it is not in
/// force (before it starts, after it expires).
pub(crate) fn entries_of(a: &UserRoleDetail, resolved: &Resolved) -> Vec<Entry> {
    if resolved.role.as_ref().is_some_and(|r| *r != a.role_id)
        || !user_roles::in_force(a.starts, a.expires, time::now())
    {
        return Vec::new();
    }
    let mut grants = Grants::default();
    grants.add(
        a.tier,
        a.team_id.as_deref(),
        a.target_id.as_deref(),
        a.role_permissions.iter(),
    );
    let mut entries: Vec<Entry> = grants
        .granted()
        .into_iter()
        .filter(|(p, _)| resolved.permission.is_none_or(|wanted| wanted == *p))
        .filter(|(p, _)| !resolved.organization_wide || grants.can(*p, Scope::Organization))
        .filter(|(p, _)| {
            resolved
                .team
                .as_deref()
                .is_none_or(|team| grants.can(*p, Scope::Team(team)))
        })
        .filter(|(p, _)| {
            resolved
                .target
                .as_ref()
                .is_none_or(|(id, teams)| grants.can(*p, Scope::Target { id, teams }))
        })
        .map(|(permission, at)| Entry {
            at_name: match &at {
                GrantedAt::Organization => None,
                GrantedAt::Team(_) => a.team_name.clone(),
                GrantedAt::Target(_) => a.target_name.clone(),
            },
            permission,
            at,
            role_id: a.role_id.clone(),
            role_name: a.role_name.clone(),
            tier: a.tier,
            assignment_id: a.id.clone(),
            starts: a.starts,
            expires: a.expires,
        })
        .collect();
    entries.sort_by_key(|e| e.permission.as_str());
    entries
}
