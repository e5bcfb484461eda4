//! One user with what its view embeds (roles, labels), in one statement.
//!
//! `GET /users/{id}/` used to read the user, then its roles, then its
//! labels: three statements, three round trips on PostgreSQL. Here the roles
//! and the labels come with the user's row, each aggregated by the database
//! as one JSON array of arrays (`json_group_array` on SQLite, `json_agg` on
//! PostgreSQL), ordered as `roles_of` and `labels_of` order them. The
//! statement is prepared once per connection (its SQL is fixed: the
//! aggregates are expressions of their own type, never an SQL literal).
//!
//! Decoding fails closed: a value the JSON does not hold the way this code
//! reads it (a tier or a permission this code never wrote, a timestamp in a
//! form it does not parse) makes the caller fall back to the three
//! statements, whose decoding is diesel's own.

use chrono::NaiveDateTime;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::models::{LabelRow, UserDetail, UserRoleDetail, UserRow};
use crate::db::schema::users;
use crate::db::stored::{StoredText, written_time};
use crate::domain::role::{PermissionSet, Tier};

/// The user's role assignments as a JSON array of
/// `[id, tier, created, role id, role name, permissions, team id, team name,
/// target id, target name, starts, expires]`, in `roles_of`'s order.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct RolesJson;

/// The user's labels as a JSON array of `[id, organization_id, name, color,
/// created, changed, changed_by_id, changed_by_email, changed_by_name]`, in
/// `labels_of`'s order.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct LabelsJson;

const ROLE_COLUMNS: &str = "ur.id, ur.tier, ur.created, r.id, r.name, r.permissions, \
     t.id, t.name, g.id, g.name, ur.starts, ur.expires";
const ROLE_SOURCE: &str = "FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
     LEFT JOIN teams t ON t.id = ur.team_id LEFT JOIN targets g ON g.id = ur.target_id \
     WHERE ur.user_id = \"users\".\"id\"";
const ROLE_ORDER: &str = "ORDER BY ur.created, ur.id";
const LABEL_COLUMNS: &str = "l.id, l.organization_id, l.name, l.color, l.created, l.changed, \
     l.changed_by_id, l.changed_by_email, l.changed_by_name";
const LABEL_SOURCE: &str = "FROM user_labels ul JOIN labels l ON l.id = ul.label_id \
     WHERE ul.user_id = \"users\".\"id\"";
const LABEL_ORDER: &str = "ORDER BY lower(l.name), l.id";

fn sqlite_aggregate(out: &mut AstPass<'_, '_, Sqlite>, columns: &str, source: &str, order: &str) {
    // An aggregate over no rows is `[]` on SQLite.
    out.push_sql("(SELECT json_group_array(json_array(");
    out.push_sql(columns);
    out.push_sql(") ");
    out.push_sql(order);
    out.push_sql(") ");
    out.push_sql(source);
    out.push_sql(")");
}

fn pg_aggregate(out: &mut AstPass<'_, '_, Pg>, columns: &str, source: &str, order: &str) {
    // `json_agg` over no rows is NULL on PostgreSQL.
    out.push_sql("(SELECT COALESCE(json_agg(json_build_array(");
    out.push_sql(columns);
    out.push_sql(") ");
    out.push_sql(order);
    out.push_sql("), '[]'::json)::text ");
    out.push_sql(source);
    out.push_sql(")");
}

macro_rules! json_column {
    ($name:ident, $columns:expr, $source:expr, $order:expr) => {
        impl Expression for $name {
            type SqlType = Text;
        }
        impl AppearsOnTable<users::table> for $name {}
        impl SelectableExpression<users::table> for $name {}
        impl ValidGrouping<()> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
        impl QueryFragment<Sqlite> for $name {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
                sqlite_aggregate(&mut out, $columns, $source, $order);
                Ok(())
            }
        }
        impl QueryFragment<Pg> for $name {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                pg_aggregate(&mut out, $columns, $source, $order);
                Ok(())
            }
        }
    };
}

json_column!(RolesJson, ROLE_COLUMNS, ROLE_SOURCE, ROLE_ORDER);
json_column!(LabelsJson, LABEL_COLUMNS, LABEL_SOURCE, LABEL_ORDER);

/// The statement of [`find_visible_detail`].
macro_rules! visible_detail_query {
    ($organization_id:expr, $id:expr, $is_apiuser:expr) => {
        users::table
            .filter(users::id.eq($id))
            .filter(users::organization_id.eq($organization_id))
            .filter(users::is_apiuser.eq($is_apiuser))
            .filter(users::is_system.eq(false))
            .select((UserRow::as_select(), RolesJson, LabelsJson))
    };
}

/// The statement of [`find_detail`].
macro_rules! detail_query {
    ($id:expr) => {
        users::table
            .filter(users::id.eq($id))
            .select((UserRow::as_select(), RolesJson, LabelsJson))
    };
}

/// What [`super::find`] finds, with its roles and labels: one statement.
pub fn find_detail(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserDetail>> {
    let found: Option<(UserRow, String, String)> =
        on_backend!(conn, |c| detail_query!(id).get_result(c).optional())?;
    found.map(|found| decoded(conn, found)).transpose()
}

/// What [`super::find_visible`] finds, with its roles and labels: one
/// statement (see the module's documentation).
pub fn find_visible_detail(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
    is_apiuser: bool,
) -> QueryResult<Option<UserDetail>> {
    // By primary key, without `LIMIT` (see `find_visible`).
    let found: Option<(UserRow, String, String)> = on_backend!(conn, |c| visible_detail_query!(
        organization_id,
        id,
        is_apiuser
    )
    .get_result(c)
    .optional())?;
    found.map(|found| decoded(conn, found)).transpose()
}

/// The detail a row and its two JSON arrays make; read again by diesel's
/// own statements where the JSON does not decode.
fn decoded(
    conn: &mut DbConnection,
    (user, roles, labels): (UserRow, String, String),
) -> QueryResult<UserDetail> {
    match (decode_roles(&user.id, &roles), decode_labels(&labels)) {
        (Some(roles), Some(labels)) => Ok(UserDetail {
            user,
            labels,
            roles,
        }),
        _ => {
            // Never expected: everything in these arrays was written by this
            // code. Tests (debug builds, both backends) stop here, so the
            // fast path cannot fall back unseen.
            tracing::warn!(user = %user.id, "a user's detail did not decode; read again");
            debug_assert!(false, "a user's detail did not decode: {roles} {labels}");
            super::detail(conn, user)
        }
    }
}

/// A timestamp as SQLite stores it (`2026-12-07 06:05:40.123`, as diesel
/// writes it) or as PostgreSQL's JSON writes it (`2026-12-07T06:05:40.123456`).
fn timestamp(raw: &str) -> Option<NaiveDateTime> {
    written_time(raw, b' ')
        .or_else(|| written_time(raw, b'T'))
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .into_iter()
                .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        })
}

fn optional_timestamp(raw: Option<String>) -> Option<Option<NaiveDateTime>> {
    match raw {
        None => Some(None),
        Some(raw) => timestamp(&raw).map(Some),
    }
}

type RoleTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn decode_roles(user_id: &str, json: &str) -> Option<Vec<UserRoleDetail>> {
    let rows: Vec<RoleTuple> = serde_json::from_str(json).ok()?;
    rows.into_iter()
        .map(
            |(
                id,
                tier,
                created,
                role_id,
                role_name,
                permissions,
                team_id,
                team_name,
                target_id,
                target_name,
                starts,
                expires,
            )| {
                Some(UserRoleDetail {
                    id,
                    user_id: user_id.to_owned(),
                    tier: Tier::from_stored(&tier)?,
                    created: timestamp(&created)?,
                    role_id,
                    role_name,
                    role_permissions: PermissionSet::from_stored(&permissions)?,
                    team_id,
                    team_name,
                    target_id,
                    target_name,
                    starts: optional_timestamp(starts)?,
                    expires: optional_timestamp(expires)?,
                })
            },
        )
        .collect()
}

type LabelTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn decode_labels(json: &str) -> Option<Vec<LabelRow>> {
    let rows: Vec<LabelTuple> = serde_json::from_str(json).ok()?;
    rows.into_iter()
        .map(
            |(
                id,
                organization_id,
                name,
                color,
                created,
                changed,
                changed_by_id,
                changed_by_email,
                changed_by_name,
            )| {
                Some(LabelRow {
                    id,
                    organization_id,
                    name,
                    color,
                    created: timestamp(&created)?,
                    changed: timestamp(&changed)?,
                    changed_by_id,
                    changed_by_email,
                    changed_by_name,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::users::test_support::plan;

    #[test]
    fn timestamps_parse_as_both_backends_write_them() {
        let at = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(
            timestamp("2026-12-07 06:05:40.123456"),
            Some(at("2026-12-07 06:05:40.123456"))
        );
        assert_eq!(
            timestamp("2026-12-07T06:05:40.123456"),
            Some(at("2026-12-07 06:05:40.123456"))
        );
        assert_eq!(
            timestamp("2026-12-07T06:05:40"),
            Some(at("2026-12-07 06:05:40"))
        );
        assert_eq!(
            timestamp("2026-12-07 06:05:40"),
            Some(at("2026-12-07 06:05:40"))
        );
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn values_this_code_never_wrote_fail_closed() {
        let role = |tier: &str, permissions: &str| {
            format!(
                "[[\"a\",\"{tier}\",\"2026-12-07 06:05:40\",\"r\",\"OWNER\",\"{permissions}\",\
                 null,null,null,null,null,null]]"
            )
        };
        assert!(decode_roles("u", &role("account", "users.view")).is_some());
        assert!(decode_roles("u", &role("galaxy", "users.view")).is_none());
        assert!(decode_roles("u", &role("account", "users.everything")).is_none());
        assert_eq!(decode_labels("[]").map(|l| l.len()), Some(0));
        assert!(decode_labels("[[1]]").is_none());
    }

    #[test]
    fn the_detail_reads_by_index_only() {
        let query = visible_detail_query!("org", "id", false);
        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        let sql = sql.split(" -- binds:").next().unwrap();
        let steps = plan(sql);
        assert!(
            steps.iter().all(|s| s.starts_with("SEARCH")
                || s.starts_with("CORRELATED SCALAR SUBQUERY")
                || s.starts_with("USE TEMP B-TREE FOR")),
            "every step is an index search: {steps:#?}"
        );
    }
}
