//! The people and API users an access review covers, with the facts it
//! reports beside their permissions (key counts, newest key use).

use crate::domain::role::PermissionSet;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use super::DbConnection;
use super::models::UserRow;
use super::schema::{api_keys, roles, user_roles, users};
use crate::domain::role::Tier;

type Backend = <DbConnection as Connection>::Backend;

/// Which users a review lists: those holding at least one assignment that
/// passes every condition (an exact SQL image of the entry filters the
/// service then applies through `Grants`).
#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    pub user: Option<String>,
    /// Only assignments of these roles (`None`: any role).
    pub roles: Option<Vec<String>>,
    /// Only assignments covering a place (`None`: anywhere).
    pub covering: Option<Covering>,
}

/// The assignments that cover a place: account tier always, team tier for
/// `teams`, scope tier for `targets`.
#[derive(Clone, Debug, Default)]
pub struct Covering {
    pub teams: Vec<String>,
    pub targets: Vec<String>,
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a ReviewFilter,
) -> users::BoxedQuery<'a, Backend> {
    let mut query = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::is_system.eq(false))
        .into_boxed();
    if let Some(user) = &filter.user {
        query = query.filter(users::id.eq(user));
    }
    if filter.roles.is_none() && filter.covering.is_none() {
        return query;
    }
    // One subquery of a fixed shape (the multi-backend connection cannot
    // nest a boxed one); unset conditions are made always true.
    let every_tier = [Tier::Account, Tier::Team, Tier::Scope]
        .map(Tier::as_str)
        .to_vec();
    let (free_tiers, teams, targets) = match &filter.covering {
        None => (every_tier, &[][..], &[][..]),
        Some(c) => (vec![Tier::Account.as_str()], &c.teams[..], &c.targets[..]),
    };
    let role_ok = match &filter.roles {
        Some(roles) => user_roles::role_id
            .eq_any(roles.clone())
            .or(false.into_sql::<diesel::sql_types::Bool>()),
        None => user_roles::role_id
            .eq_any(Vec::<String>::new())
            .or(true.into_sql::<diesel::sql_types::Bool>()),
    };
    let place_ok = user_roles::tier
        .eq_any(free_tiers)
        .or(user_roles::tier
            .eq(Tier::Team.as_str())
            .and(user_roles::team_id.eq_any(teams)))
        .or(user_roles::tier
            .eq(Tier::Scope.as_str())
            .and(user_roles::target_id.eq_any(targets)));
    query.filter(
        users::id.eq_any(
            user_roles::table
                .filter(role_ok)
                .filter(place_ok)
                .select(user_roles::user_id),
        ),
    )
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &ReviewFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// A page of users, by email then id.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &ReviewFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    filtered(organization_id, filter)
        .order((users::email.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)
}

/// Per user: how many API keys, and when one was last used.
pub fn key_stats(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> QueryResult<HashMap<String, (i64, Option<NaiveDateTime>)>> {
    let rows: Vec<(String, i64, Option<NaiveDateTime>)> = api_keys::table
        .filter(api_keys::user_id.eq_any(user_ids))
        .group_by(api_keys::user_id)
        .select((api_keys::user_id, count_star(), max(api_keys::last_used)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, n, last)| (id, (n, last)))
        .collect())
}

/// Ids and stored permissions of every role the organization can use
/// (built-in and its own).
pub fn roles_in_use(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<Vec<(String, PermissionSet)>> {
    roles::table
        .filter(
            roles::organization_id
                .eq(organization_id)
                .or(roles::organization_id.is_null()),
        )
        .select((roles::id, roles::permissions))
        .load(conn)
}
