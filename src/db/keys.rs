//! API keys and revoked tokens (by refresh family).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::models::UserRow;
use super::schema::{api_keys, revoked_tokens, users};

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = api_keys)]
pub struct KeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub created: NaiveDateTime,
    pub expires: Option<NaiveDateTime>,
    pub last_used: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &KeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A user's keys, oldest first.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<KeyRow>> {
    api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .order((api_keys::created.asc(), api_keys::id.asc()))
        .select(KeyRow::as_select())
        .load(conn)
}

pub fn find_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> QueryResult<Option<KeyRow>> {
    api_keys::table
        .filter(api_keys::id.eq(id))
        .filter(api_keys::user_id.eq(user_id))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// The key with this prefix and its user.
pub fn by_prefix(conn: &mut DbConnection, prefix: &str) -> QueryResult<Option<(KeyRow, UserRow)>> {
    api_keys::table
        .inner_join(users::table)
        .filter(api_keys::prefix.eq(prefix))
        .select((KeyRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

/// Deletes every key of a user.
pub fn delete_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<()> {
    diesel::delete(api_keys::table.filter(api_keys::user_id.eq(user_id)))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(api_keys::table.find(id))
        .execute(conn)
        .map(drop)
}

pub fn touch(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used.eq(at))
        .execute(conn)
        .map(drop)
}

/// Records a revoked refresh family (idempotent; the later expiry wins)
/// and forgets revocations past expiry. A family is named by the `jti` of
/// the login token that started it, so one row ends that token and every
/// token refreshed from it. (Rows written before families existed name
/// single tokens, which count as families of their own.)
pub fn revoke_family(
    conn: &mut DbConnection,
    family: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires.lt(now))).execute(conn)?;
    // Two replicas may revoke the same family at once.
    super::direct::on_backend!(conn, |c| diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(family),
            revoked_tokens::expires.eq(expires),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(
        revoked_tokens::table
            .find(family)
            .filter(revoked_tokens::expires.lt(expires)),
    )
    .set(revoked_tokens::expires.eq(expires))
    .execute(conn)
    .map(drop)
}

/// Whether a token was revoked: its own id, or its refresh family.
pub fn is_revoked(conn: &mut DbConnection, jti: &str, family: &str) -> QueryResult<bool> {
    // Asked on every authenticated request: see `db::direct`.
    super::direct::on_backend!(conn, |c| diesel::select(diesel::dsl::exists(
        revoked_tokens::table.filter(revoked_tokens::jti.eq_any([jti, family]))
    ))
    .get_result(c))
}
