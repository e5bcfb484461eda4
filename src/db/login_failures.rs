//! Failed logins, counted per key (a client address or an account) for throttling.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_failures;

/// The times of the newest failures under `key` since `since`, newest first,
/// at most `limit` of them.
pub fn recent(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.gt(since))
        .order(login_failures::at.desc())
        .limit(limit)
        .select(login_failures::at)
        .load(conn)
}

/// Records one failure under each key, and forgets every failure at or
/// before `forget_before` (outside any window), so the table stays small.
pub fn record(
    conn: &mut DbConnection,
    keys: &[String],
    at: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::at.le(forget_before)))
        .execute(conn)?;
    for key in keys {
        diesel::insert_into(login_failures::table)
            .values((login_failures::key.eq(key), login_failures::at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}
