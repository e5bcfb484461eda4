//! Login throttling against the failure counts kept in the database (so
//! every replica enforces the same limits). See `auth::throttle` for the policy.

use crate::db::login_failures;
use crate::domain::time;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A 429 when any of `keys` has used up its failures in the window. Cheap:
/// it runs before any password is verified.
pub async fn check(state: &AppState, keys: &[String; 2]) -> Result<()> {
    let policy = state.login_throttle.clone();
    let keys = keys.clone();
    let wait = state
        .db
        .read(move |conn| {
            let now = time::now();
            let since = now - policy.window();
            let mut wait = None;
            for key in &keys {
                let recent =
                    login_failures::recent(conn, key, since, i64::from(policy.max_failures))?;
                wait = wait.max(policy.wait_seconds(&recent, now));
            }
            Ok(wait)
        })
        .await?;
    match wait {
        Some(wait_seconds) => Err(Error::Throttled { wait_seconds }),
        None => Ok(()),
    }
}

/// Counts one failed attempt under each key (and prunes expired ones).
pub async fn record_failure(state: &AppState, keys: [String; 2]) -> Result<()> {
    let window = state.login_throttle.window();
    state
        .db
        .write(move |conn| {
            let now = time::now();
            Ok(login_failures::record(conn, &keys, now, now - window)?)
        })
        .await
}
