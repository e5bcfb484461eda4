//! Guesses at a secret (a password, a one-time code, a link token), counted
//! per key (a client address, an account, a link) for throttling. A row is
//! written before the guess is judged (a reservation) and removed again if
//! the guess was right, so concurrent guesses cannot all pass one count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_failures;

/// Old rows forgotten per attempt, at most: pruning stays cheap whatever
/// piled up.
const PRUNE_BATCH: i64 = 500;

/// Serializes the attempts counted under `key` until the transaction ends.
/// On PostgreSQL a transaction-scoped advisory lock on the key: under READ
/// COMMITTED each later statement of the holder sees every row committed by
/// earlier holders, so its count and its insert act as one step. SQLite
/// writes are already serialized.
pub fn lock(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    super::advisory_lock(conn, lock_id(key))
}

/// The advisory lock id of a key: its leading 64 bits (keys are SHA-256 in
/// hex, see `auth::throttle`). A collision only makes two keys wait for
/// each other.
pub fn lock_id(key: &str) -> i64 {
    let lead = key
        .get(..16)
        .and_then(|hex| u64::from_str_radix(hex, 16).ok());
    i64::from_ne_bytes(lead.unwrap_or_default().to_ne_bytes())
}

/// The times of the newest attempts counted under `key` since `since`,
/// newest first, at most `limit` of them.
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

/// Counts one attempt under `key`; returns its row id.
pub fn insert(conn: &mut DbConnection, key: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::key.eq(key), login_failures::at.eq(at)))
        .returning(login_failures::id)
        .get_result(conn)
}

/// Uncounts attempts that turned out not to be wrong guesses.
pub fn forgive(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids)))
        .execute(conn)
        .map(drop)
}

/// Forgets a batch of attempts at or before `before` (outside any window),
/// so the table stays small. On PostgreSQL rows another transaction is
/// pruning are skipped: two attempts pruning the same rows in different
/// orders would otherwise deadlock.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<()> {
    let old = login_failures::table
        .filter(login_failures::at.le(before))
        .select(login_failures::id)
        .limit(PRUNE_BATCH);
    let ids: Vec<i64> = match conn {
        DbConnection::Postgresql(pg) => old.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => old.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(());
    }
    forgive(conn, &ids)
}
