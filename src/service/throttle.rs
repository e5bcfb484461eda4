//! Throttling of guesses (passwords, one-time codes, link tokens) against
//! the counts kept in the database, so every replica enforces the same
//! limits. See `auth::throttle` for the policy.
//!
//! An attempt is counted before its secret is checked (reserve), and the
//! count is taken back once the attempt turns out right (settle): counted
//! only after the check, concurrent guesses would all see the same count
//! and all be checked.

use diesel::QueryResult;

use crate::auth::Caller;
use crate::db::{DbConnection, login_failures};
use crate::domain::time;
use crate::error::{Error, Result};
use crate::state::AppState;

/// An attempt counted under its keys and not judged yet. Dropping it keeps
/// it counted, as a failure: whatever goes wrong before `settle` (a wrong
/// guess, an error, a lost connection) fails closed.
#[must_use = "an attempt is counted until it is settled; call `keep` when it always counts"]
pub struct Reservation {
    ids: Vec<i64>,
}

impl Reservation {
    /// Takes the attempt back (it was right, or not a guess at all), in the
    /// transaction that acts on it: if that rolls back, the attempt stays
    /// counted.
    pub fn settle(self, conn: &mut DbConnection) -> QueryResult<()> {
        login_failures::forgive(conn, &self.ids)
    }

    /// Leaves the attempt counted for good (requests that always count).
    pub fn keep(self) {}
}

/// Counts one attempt under each of `keys`, or answers 429 when any of them
/// has used up its attempts in the window. Runs before any secret is
/// checked; the check and the count are one step (see
/// `login_failures::lock`), so no more attempts than the limit are ever
/// judged at once.
pub async fn reserve(state: &AppState, keys: &[String; 2]) -> Result<Reservation> {
    // A flood that is already throttled is refused by a read, without
    // queueing for SQLite's single writer.
    refuse_if_throttled(state, keys).await?;
    let policy = state.login_throttle.clone();
    let keys = keys.clone();
    state
        .db
        .write(move |conn| {
            // One order for every transaction, so two attempts sharing a key
            // cannot each hold the lock the other waits for.
            let mut ordered: Vec<&String> = keys.iter().collect();
            ordered.sort_by_key(|key| login_failures::lock_id(key));
            for key in ordered {
                login_failures::lock(conn, key)?;
            }
            let now = time::now();
            if let Some(wait_seconds) = wait(conn, &policy, &keys, now)? {
                return Err(Error::Throttled { wait_seconds });
            }
            login_failures::prune(conn, now - policy.window())?;
            let ids = keys
                .iter()
                .map(|key| login_failures::insert(conn, key, now))
                .collect::<QueryResult<_>>()?;
            Ok(Reservation { ids })
        })
        .await
}

/// Takes back an attempt outside any other write.
pub async fn settle(state: &AppState, reservation: Reservation) -> Result<()> {
    state
        .db
        .write(move |conn| Ok(reservation.settle(conn)?))
        .await
}

/// The keys of a guess at the caller's own secrets (its current password,
/// its one-time code): the same as a login's for its email, so that a
/// stolen token buys no more guesses than the login form gives.
pub fn account_keys(state: &AppState, caller: &Caller) -> [String; 2] {
    let client_address = caller.context.client_address.clone().unwrap_or_default();
    state
        .login_throttle
        .keys(&client_address, &caller.user.email)
}

async fn refuse_if_throttled(state: &AppState, keys: &[String; 2]) -> Result<()> {
    let policy = state.login_throttle.clone();
    let keys = keys.clone();
    let wait = state
        .db
        .read(move |conn| wait(conn, &policy, &keys, time::now()))
        .await?;
    match wait {
        Some(wait_seconds) => Err(Error::Throttled { wait_seconds }),
        None => Ok(()),
    }
}

/// Seconds until every key may try again; `None` when all may now.
fn wait(
    conn: &mut DbConnection,
    policy: &crate::auth::throttle::LoginThrottle,
    keys: &[String; 2],
    now: chrono::NaiveDateTime,
) -> Result<Option<u64>> {
    let since = now - policy.window();
    let mut wait = None;
    for key in keys {
        let recent = login_failures::recent(conn, key, since, i64::from(policy.max_failures))?;
        wait = wait.max(policy.wait_seconds(&recent, now));
    }
    Ok(wait)
}
