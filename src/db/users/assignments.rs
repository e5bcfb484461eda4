//! A user's role assignments: reading them (with their role, team and
//! target), writing them, and the questions the rules ask of them.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::models::{NewUserRole, UserRoleDetail};
use crate::db::schema::{roles, targets, teams, user_roles, users};
use crate::domain::role::{BuiltinRole, Tier};

/// The teams a user is a member of (holds a role at).
pub fn teams_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .filter(user_roles::team_id.is_not_null())
        .select(user_roles::team_id.assume_not_null())
        .distinct()
        .load(conn)
}

/// Active users holding OWNER at account tier.
pub fn count_active_owners(conn: &mut DbConnection, organization_id: &str) -> QueryResult<i64> {
    user_roles::table
        .inner_join(users::table)
        .filter(users::organization_id.eq(organization_id))
        .filter(users::active.eq(true))
        .filter(user_roles::role_id.eq(BuiltinRole::Owner.id()))
        .filter(user_roles::tier.eq(Tier::Account.as_str()))
        .count()
        .get_result(conn)
}

/// The role assignments of `user_ids`, with their role, team and target.
macro_rules! roles_query {
    ($condition:expr) => {
        user_roles::table
            .inner_join(roles::table)
            .left_join(teams::table)
            .left_join(targets::table)
            .filter($condition)
            .select((
                user_roles::id,
                user_roles::user_id,
                user_roles::tier,
                user_roles::created,
                roles::id,
                roles::name,
                roles::permissions,
                teams::id.nullable(),
                teams::name.nullable(),
                targets::id.nullable(),
                targets::name.nullable(),
                user_roles::starts,
                user_roles::expires,
            ))
            .order((user_roles::user_id, user_roles::created, user_roles::id))
    };
}

pub fn roles_of(conn: &mut DbConnection, user_ids: &[String]) -> QueryResult<Vec<UserRoleDetail>> {
    // One user (the caller of every authenticated request, a user's detail)
    // is compared with `=`: a query of fixed shape is prepared once per
    // connection, whereas SQLite cannot keep a prepared `IN (...)`, whose
    // number of parameters varies, and would parse and plan it every time.
    match user_ids {
        [id] => on_backend!(conn, |c| roles_query!(user_roles::user_id.eq(id)).load(c)),
        ids => roles_query!(user_roles::user_id.eq_any(ids)).load(conn),
    }
}

pub fn insert_role(conn: &mut DbConnection, row: &NewUserRole) -> QueryResult<()> {
    diesel::insert_into(user_roles::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn delete_roles(conn: &mut DbConnection, ids: &[String]) -> QueryResult<()> {
    diesel::delete(user_roles::table.filter(user_roles::id.eq_any(ids)))
        .execute(conn)
        .map(drop)
}

pub fn team_in_org(conn: &mut DbConnection, organization_id: &str, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        teams::table
            .filter(teams::id.eq(id))
            .filter(teams::organization_id.eq(organization_id)),
    ))
    .get_result(conn)
}

pub fn target_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        targets::table
            .filter(targets::id.eq(id))
            .filter(targets::organization_id.eq(organization_id)),
    ))
    .get_result(conn)
}

/// The user holding the role assignment `id`, if any.
pub fn holder_of_role(conn: &mut DbConnection, id: &str) -> QueryResult<Option<String>> {
    user_roles::table
        .find(id)
        .select(user_roles::user_id)
        .first(conn)
        .optional()
}

/// Assignments expired at `now` (organization, user, assignment), the
/// oldest first, at most `limit`: found by the partial index on `expires`.
pub fn expired_assignments(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::expires.le(now))
        .order((user_roles::expires, user_roles::id))
        .select((users::organization_id, users::id, user_roles::id))
        .limit(limit)
        .load(conn)
}

/// Moves an assignment's window, keeping its row, id and creation time.
pub fn set_assignment_window(
    conn: &mut DbConnection,
    id: &str,
    starts: Option<chrono::NaiveDateTime>,
    expires: Option<chrono::NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(user_roles::table.find(id))
        .set((
            user_roles::starts.eq(starts),
            user_roles::expires.eq(expires),
        ))
        .execute(conn)
        .map(drop)
}

/// Points an assignment at another role, keeping its row, id and creation time.
pub fn set_assignment_role(conn: &mut DbConnection, id: &str, role_id: &str) -> QueryResult<()> {
    diesel::update(user_roles::table.find(id))
        .set(user_roles::role_id.eq(role_id))
        .execute(conn)
        .map(drop)
}
