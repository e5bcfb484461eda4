//! A user's TOTP secret, whether it is on, and the replay guard (the last
//! time step accepted). `mfa_secret` is pending while `mfa_enabled` is false.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::models::ChangedBy;
use super::schema::users;

pub struct MfaState {
    pub enabled: bool,
    pub secret: Option<String>,
    pub last_step: Option<i64>,
}

pub fn state(conn: &mut DbConnection, user_id: &str) -> QueryResult<MfaState> {
    let (enabled, secret, last_step) = users::table
        .find(user_id)
        .select((users::mfa_enabled, users::mfa_secret, users::mfa_last_step))
        .first::<(bool, Option<String>, Option<i64>)>(conn)?;
    Ok(MfaState {
        enabled,
        secret,
        last_step,
    })
}

/// Stores a secret awaiting confirmation (replacing any earlier pending one).
pub fn set_pending(conn: &mut DbConnection, user_id: &str, secret: &str) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::mfa_enabled.eq(false)),
    )
    .set((
        users::mfa_secret.eq(secret),
        users::mfa_last_step.eq(None::<i64>),
    ))
    .execute(conn)
    .map(drop)
}

/// Marks `step` used, unless it (or a later one) already was: the one
/// statement that makes a code single-use, even across replicas racing.
pub fn claim_step(conn: &mut DbConnection, user_id: &str, step: i64) -> QueryResult<bool> {
    let claimed = diesel::update(
        users::table.find(user_id).filter(
            users::mfa_last_step
                .is_null()
                .or(users::mfa_last_step.lt(step)),
        ),
    )
    .set(users::mfa_last_step.eq(step))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Turns MFA on or off; off also forgets the secret.
pub fn set_enabled(
    conn: &mut DbConnection,
    user_id: &str,
    enabled: bool,
    by: &ChangedBy,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let target = users::table.find(user_id);
    let audit = (
        users::changed.eq(at),
        users::changed_by_id.eq(&by.id),
        users::changed_by_email.eq(&by.email),
        users::changed_by_name.eq(&by.name),
    );
    if enabled {
        diesel::update(target)
            .set((users::mfa_enabled.eq(true), audit))
            .execute(conn)
            .map(drop)
    } else {
        diesel::update(target)
            .set((
                users::mfa_enabled.eq(false),
                users::mfa_secret.eq(None::<String>),
                users::mfa_last_step.eq(None::<i64>),
                audit,
            ))
            .execute(conn)
            .map(drop)
    }
}
