//! A user's role assignments: reading them (with their role, team and
//! target), writing them, and the questions the rules ask of them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::in_ids::{InIds, distinct};
use crate::db::models::{NewUserRole, UserRoleDetail};
use crate::db::schema::{roles, targets, teams, user_roles, users};
use crate::db::stored::StoredTime;
use crate::domain::role::{BuiltinRole, PermissionSet, Tier};

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

/// An assignment's own columns, its role, team and target by id.
#[derive(Queryable)]
struct AssignmentRow {
    id: String,
    user_id: String,
    tier: Tier,
    #[diesel(deserialize_as = StoredTime)]
    created: NaiveDateTime,
    role_id: String,
    team_id: Option<String>,
    target_id: Option<String>,
    starts: Option<NaiveDateTime>,
    expires: Option<NaiveDateTime>,
}

/// The own columns of the assignments of `$ids`, by user, oldest first.
macro_rules! assignments_query {
    ($ids:expr) => {
        user_roles::table
            .filter(InIds::new(
                user_roles::user_id,
                $ids.iter().map(String::as_str),
            ))
            .select((
                user_roles::id,
                user_roles::user_id,
                user_roles::tier,
                user_roles::created,
                user_roles::role_id,
                user_roles::team_id,
                user_roles::target_id,
                user_roles::starts,
                user_roles::expires,
            ))
            .order((user_roles::user_id, user_roles::created, user_roles::id))
    };
}

/// `id → name` of the rows of `$table` whose ids `$ids` yields, each read
/// once (nothing read when it yields none).
macro_rules! names_of {
    ($conn:expr, $table:ident, $ids:expr) => {{
        let ids = distinct($ids);
        if ids.is_empty() {
            HashMap::new()
        } else {
            on_backend!($conn, |c| {
                $table::table
                    .filter(InIds::new($table::id, ids.iter().copied()))
                    .select(($table::id, $table::name))
                    .load::<(String, String)>(c)
            })?
            .into_iter()
            .collect::<HashMap<String, String>>()
        }
    }};
}

pub fn roles_of(conn: &mut DbConnection, user_ids: &[String]) -> QueryResult<Vec<UserRoleDetail>> {
    // One user (the caller of every authenticated request, a user's detail)
    // is one joined statement compared with `=`, prepared once per
    // connection.
    let ids = match user_ids {
        [id] => return on_backend!(conn, |c| roles_query!(user_roles::user_id.eq(id)).load(c)),
        // On PostgreSQL every statement is a round trip, and the server
        // joins: the reads below made a page of ten 10-17% slower there.
        // (Its `eq_any` binds one array, so the statement keeps its shape.)
        ids if matches!(conn, DbConnection::Postgresql(_)) => {
            return roles_query!(user_roles::user_id.eq_any(ids)).load(conn);
        }
        ids => ids,
    };
    // Many users (a page) on SQLite: the assignments, then each distinct
    // role, team and target once, however many of the users hold it. The
    // join decoded the role's name and permissions for every holder.
    let rows: Vec<AssignmentRow> = on_backend!(conn, |c| assignments_query!(ids).load(c))?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let role_ids = distinct(rows.iter().map(|r| r.role_id.as_str()));
    let roles: HashMap<String, (String, PermissionSet)> = on_backend!(conn, |c| {
        roles::table
            .filter(InIds::new(roles::id, role_ids.iter().copied()))
            .select((roles::id, (roles::name, roles::permissions)))
            .load(c)
    })?
    .into_iter()
    .collect();
    let teams = names_of!(
        conn,
        teams,
        rows.iter().filter_map(|r| r.team_id.as_deref())
    );
    let targets = names_of!(
        conn,
        targets,
        rows.iter().filter_map(|r| r.target_id.as_deref())
    );
    // As the inner join: an assignment whose role went between the reads is
    // left out (the left joins keep a team or target that went, unnamed).
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (role_name, role_permissions) = roles.get(&row.role_id)?.clone();
            let (team_id, team_name) = named(&teams, &row.team_id);
            let (target_id, target_name) = named(&targets, &row.target_id);
            Some(UserRoleDetail {
                id: row.id,
                user_id: row.user_id,
                tier: row.tier,
                created: row.created,
                role_id: row.role_id,
                role_name,
                role_permissions,
                team_id,
                team_name,
                target_id,
                target_name,
                starts: row.starts,
                expires: row.expires,
            })
        })
        .collect())
}

/// A team's or target's id and name as the left join gives them: both, or
/// neither when it has none or it went between the reads.
fn named(names: &HashMap<String, String>, id: &Option<String>) -> (Option<String>, Option<String>) {
    let name = id.as_ref().and_then(|id| names.get(id).cloned());
    (id.clone().filter(|_| name.is_some()), name)
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
