//! Server-wide key/value settings kept in the database.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::settings;

/// The token-signing key generated on SQLite when `TESSERA_SECRET_KEY` is
/// unset (stored encrypted, see `db::secrets`).
pub const SIGNING_KEY: &str = "secret_key";

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Stores `value` unless `key` already has one; returns the value that holds
/// (so two processes starting together agree on one).
pub fn get_or_insert(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<String> {
    if let Some(existing) = get(conn, key)? {
        return Ok(existing);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(value.to_owned()),
        Err(e) if crate::error::is_unique_violation(&e) => {
            get(conn, key)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(e) => Err(e),
    }
}
