//! Idempotency keys: one row per (scope, key), pending while its first
//! request runs, then holding that request's sealed response.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::direct::on_backend;
use super::schema::idempotency_keys;
use crate::crypto::Binding;

/// Where a stored response is sealed: its scope and key.
pub fn response_binding(place: &str) -> Binding<'_> {
    Binding::new("idempotency_keys.response", place)
}

/// The row of a key, as stored.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = idempotency_keys)]
pub struct KeyRow {
    pub request_hash: String,
    pub status: Option<i32>,
    pub response: Option<String>,
    pub created: NaiveDateTime,
    /// The replica (process) whose request claimed the key.
    pub owner: Option<String>,
    /// Whether that request has committed a write.
    pub applied: bool,
}

/// The key the request running in this task claimed (set by the API's
/// middleware around the handler): every write transaction the request
/// commits marks it applied, in the same transaction (`Db::write`).
#[derive(Clone, Debug)]
pub struct Claim {
    pub scope: String,
    pub key: String,
}

tokio::task_local! {
    pub static CLAIM: Claim;
}

/// The claim of the request running in this task, if any.
pub fn current_claim() -> Option<Claim> {
    CLAIM.try_with(Claim::clone).ok()
}

/// Records, inside the request's own write transaction, that it wrote.
pub fn mark_applied(conn: &mut DbConnection, claim: &Claim) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((&claim.scope, &claim.key)))
        .set(idempotency_keys::applied.eq(true))
        .execute(conn)
        .map(drop)
}

/// Claims `key` for a request: whether this call inserted it (`false`
/// when a row for the key already exists).
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
    owner: &str,
) -> QueryResult<bool> {
    let row = (
        idempotency_keys::scope.eq(scope),
        idempotency_keys::key.eq(key),
        idempotency_keys::request_hash.eq(request_hash),
        idempotency_keys::created.eq(now),
        idempotency_keys::owner.eq(owner),
    );
    // Per backend: the multi-backend connection has no `ON CONFLICT`.
    let inserted = on_backend!(conn, |c| diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

pub fn find(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    idempotency_keys::table
        .find((scope, key))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// Stores the response of the request that claimed the key (`owner`; a
/// key taken over since is left alone).
pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    owner: &str,
    status: i32,
    sealed: &str,
) -> QueryResult<()> {
    diesel::update(
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::owner.eq(owner)),
    )
    .set((
        idempotency_keys::status.eq(status),
        idempotency_keys::response.eq(sealed),
    ))
    .execute(conn)
    .map(drop)
}

/// Status of a key whose request wrote, then ended without a response to
/// keep (it failed after a commit, or the commit's acknowledgement was
/// lost in a failover): a retry is told the outcome is lost.
pub const NO_RESPONSE: i32 = 0;

/// Ends a key its own request (`owner`) claimed and did not complete:
/// forgotten when the request wrote nothing (a retry runs again), closed
/// without a response when it did (a retry must not write twice).
pub fn release_own(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    owner: &str,
) -> QueryResult<()> {
    let own = || {
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::owner.eq(owner))
            .filter(idempotency_keys::status.is_null())
    };
    diesel::delete(own().filter(idempotency_keys::applied.eq(false))).execute(conn)?;
    diesel::update(own().filter(idempotency_keys::applied.eq(true)))
        .set(idempotency_keys::status.eq(NO_RESPONSE))
        .execute(conn)
        .map(drop)
}

/// Forgets a key (its request wrote nothing, or its row expired).
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((scope, key)))
        .execute(conn)
        .map(drop)
}

/// Forgets every key claimed before `before`; how many.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created.lt(before)))
        .execute(conn)
}

/// Every stored response, with its place (`scope/key`), for re-sealing.
pub fn sealed(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
    let rows: Vec<(String, String, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::response.is_not_null())
        .select((
            idempotency_keys::scope,
            idempotency_keys::key,
            idempotency_keys::response,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(scope, key, response)| Some((scope, key, response?)))
        .collect())
}

/// Replaces a stored response if it still holds `old`.
pub fn replace(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    old: &str,
    new: &str,
) -> QueryResult<bool> {
    let written = diesel::update(
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::response.eq(old)),
    )
    .set(idempotency_keys::response.eq(new))
    .execute(conn)?;
    Ok(written == 1)
}

/// The place a response is sealed for.
pub fn place(scope: &str, key: &str) -> String {
    format!("{scope}/{key}")
}
