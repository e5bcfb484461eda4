//! API keys and revoked tokens.

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

/// Records a revoked token id (idempotent) and forgets those past expiry.
pub fn revoke_token(
    conn: &mut DbConnection,
    jti: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires.lt(now))).execute(conn)?;
    let exists: bool =
        diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti))).get_result(conn)?;
    if !exists {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::expires.eq(expires),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> QueryResult<bool> {
    // Asked on every authenticated request: see `db::direct`.
    super::direct::on_backend!(conn, |c| diesel::select(diesel::dsl::exists(
        revoked_tokens::table.find(jti)
    ))
    .get_result(c))
}
