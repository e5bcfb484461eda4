//! The running server processes (replicas) sharing the database, each
//! stamping its row every second (`crate::heartbeat`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::direct::on_backend;
use super::schema::replicas;

/// Stamps `id` as alive at `now`.
pub fn beat(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(replicas::table)
        .values((replicas::id.eq(id), replicas::seen.eq(now)))
        .on_conflict(replicas::id)
        .do_update()
        .set(replicas::seen.eq(now))
        .execute(c))
    .map(drop)
}

/// When `id` last stamped its row, and the newest stamp of any replica
/// (`None` for a replica that never did, or was forgotten).
pub fn last_seen(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(NaiveDateTime, NaiveDateTime)>> {
    let Some(seen) = replicas::table
        .find(id)
        .select(replicas::seen)
        .first::<NaiveDateTime>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let newest = replicas::table
        .select(diesel::dsl::max(replicas::seen))
        .first::<Option<NaiveDateTime>>(conn)?
        .unwrap_or(seen);
    Ok(Some((seen, newest)))
}

/// Forgets the replicas not seen since `before`; how many.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(replicas::table.filter(replicas::seen.lt(before))).execute(conn)
}
