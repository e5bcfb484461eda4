//! What token authentication reads: the user a token names and its grants,
//! in one statement.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::UserRow;
use crate::db::schema::{roles, user_roles, users};
use crate::domain::role::{PermissionSet, Tier};

/// One role assignment as authorization reads it.
#[derive(Clone, Debug, Queryable)]
pub struct GrantRow {
    pub tier: Tier,
    pub team_id: Option<String>,
    pub target_id: Option<String>,
    pub permissions: PermissionSet,
    pub starts: Option<chrono::NaiveDateTime>,
    pub expires: Option<chrono::NaiveDateTime>,
}

/// `token_holder`'s statement. Flat left joins: a parenthesised
/// `user_roles JOIN roles` makes SQLite materialize every assignment of
/// every user on each request (see the query-plan test below).
macro_rules! token_holder_query {
    ($id:expr, $jti:expr, $family:expr) => {
        users::table
            .left_join(user_roles::table)
            .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
            .filter(users::id.eq($id))
            // Two `=` rather than `IN (?, ?)`: diesel never keeps a
            // statement holding `IN` prepared, and re-preparing this one
            // on every request was a fifth of a `GET /users/{id}/`.
            .filter(diesel::dsl::not(diesel::dsl::exists(
                crate::db::schema::revoked_tokens::table.filter(
                    crate::db::schema::revoked_tokens::jti
                        .eq($jti)
                        .or(crate::db::schema::revoked_tokens::jti.eq($family)),
                ),
            )))
            .select((
                UserRow::as_select(),
                (
                    user_roles::tier,
                    user_roles::team_id,
                    user_roles::target_id,
                    roles::permissions,
                    user_roles::starts,
                    user_roles::expires,
                )
                    .nullable(),
            ))
    };
}

/// The user a token names, with the grants of all its assignments, unless
/// the token (`jti`) or its refresh `family` was revoked: what every
/// token-authenticated request needs, in one statement instead of three
/// (user, revocation, roles).
pub fn token_holder(
    conn: &mut DbConnection,
    id: &str,
    jti: &str,
    family: &str,
) -> QueryResult<Option<(UserRow, Vec<GrantRow>)>> {
    let rows: Vec<(UserRow, Option<GrantRow>)> =
        crate::db::direct::on_backend!(conn, |c| token_holder_query!(id, jti, family).load(c))?;
    let mut rows = rows.into_iter();
    let Some((user, first)) = rows.next() else {
        return Ok(None);
    };
    let grants = first
        .into_iter()
        .chain(rows.filter_map(|(_, grant)| grant))
        .collect();
    Ok(Some((user, grants)))
}

#[cfg(test)]
mod tests {
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::users::test_support::plan;

    #[test]
    fn authentication_reads_by_index_only() {
        let query = token_holder_query!("some-id", "some-jti", "some-family");
        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        let sql = sql.split(" -- binds:").next().unwrap();
        let steps = plan(sql);
        assert!(
            steps
                .iter()
                .all(|s| s.starts_with("SEARCH") || s.starts_with("SCALAR SUBQUERY")),
            "every step is an index search: {steps:#?}"
        );
    }
}
