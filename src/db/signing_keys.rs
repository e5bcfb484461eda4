//! Token-signing keys (see the `signing_keys` migration).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::signing_keys;
use crate::domain::token::TokenAlgorithm;

/// One stored key. No `Debug`: it carries the (sealed) private key.
#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub id: String,
    pub algorithm: TokenAlgorithm,
    /// Sealed (see `db::secrets::signing_key`).
    pub private_key: String,
    pub public_jwk: String,
    pub created: NaiveDateTime,
    pub signs_from: NaiveDateTime,
    pub published_until: Option<NaiveDateTime>,
}

/// Every key still published at `now`, oldest first.
pub fn published(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(
            signing_keys::published_until
                .is_null()
                .or(signing_keys::published_until.gt(now)),
        )
        .order((signing_keys::signs_from.asc(), signing_keys::id.asc()))
        .select(SigningKeyRow::as_select())
        .load(conn)
}

/// The newest key (the one rotation replaces), if any.
pub fn newest(conn: &mut DbConnection) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table
        .order((signing_keys::signs_from.desc(), signing_keys::id.desc()))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &SigningKeyRow) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Sets when every key without a retirement date stops being published.
pub fn retire_all(conn: &mut DbConnection, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(signing_keys::table.filter(signing_keys::published_until.is_null()))
        .set(signing_keys::published_until.eq(until))
        .execute(conn)
}

/// Deletes the keys no longer published at `now`.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(signing_keys::table.filter(signing_keys::published_until.le(now))).execute(conn)
}

/// (id, sealed private key) of every key, for the walks over secrets.
pub fn sealed(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    signing_keys::table
        .select((signing_keys::id, signing_keys::private_key))
        .load(conn)
}
