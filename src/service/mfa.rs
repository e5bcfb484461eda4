//! Multi-factor authentication (TOTP): enrolling, confirming, disabling, and
//! the code a login needs. Secrets leave the service only in the enrollment
//! answer, are stored encrypted and decrypted only to check a code; every
//! accepted code's step is recorded so it is never accepted twice.

use anyhow::anyhow;
use zeroize::Zeroizing;

use crate::auth::Caller;
use crate::auth::totp;
use crate::crypto::SecretBox;
use crate::db::{DbConnection, mfa, secrets as stored, users};
use crate::domain::audit::AuditAction;
use crate::domain::time;
use crate::error::{Error, Result};
use crate::service::{audit, throttle};
use crate::state::AppState;

pub const ALREADY_ENABLED: &str = "MFA is already enabled; disable it first.";
pub const NOT_PENDING: &str = "No MFA enrollment is pending: start one with POST /profile/mfa/.";
pub const NOT_ENABLED: &str = "MFA is not enabled.";
pub const OTP_REQUIRED: &str = "A one-time password is required: this account uses MFA.";
pub const OTP_INVALID: &str = "Invalid or expired one-time password.";

/// A pending enrollment: what the user puts into an authenticator app.
pub struct Enrollment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// People only: API users authenticate with keys and have no second factor.
fn person(caller: &Caller) -> Result<()> {
    if caller.user.is_apiuser {
        Err(Error::Forbidden)
    } else {
        Ok(())
    }
}

/// Starts (or restarts) an enrollment with a new secret; MFA stays off
/// until a code for it is confirmed.
pub fn enroll(conn: &mut DbConnection, caller: &Caller, secrets: &SecretBox) -> Result<Enrollment> {
    person(caller)?;
    if mfa::state(conn, &caller.user.id)?.enabled {
        return Err(Error::non_field(ALREADY_ENABLED));
    }
    let secret = totp::new_secret();
    let otpauth_uri = totp::otpauth_uri(&secret, &caller.user.email)?;
    let sealed = secrets.seal(&secret, stored::mfa_secret(&caller.user.id));
    mfa::set_pending(conn, &caller.user.id, &sealed)?;
    caller.audit(
        conn,
        AuditAction::UserMfaEnrollmentStarted,
        audit::object("user", &caller.user.id),
        audit::Changes::new(),
    )?;
    Ok(Enrollment {
        secret,
        otpauth_uri,
    })
}

/// Turns MFA on with a code for the pending secret, and ends every token
/// issued so far: a token obtained with the password alone must not
/// outlive the rule that a login needs a code (a stolen one included).
pub fn confirm(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    otp: &str,
) -> Result<()> {
    person(caller)?;
    let state = mfa::state(conn, &caller.user.id)?;
    if state.enabled {
        return Err(Error::field("otp", ALREADY_ENABLED));
    }
    let sealed = state
        .secret
        .ok_or_else(|| Error::field("otp", NOT_PENDING))?;
    let secret = open(secrets, &caller.user.id, &sealed)?;
    claim_code(conn, &caller.user.id, &secret, otp, state.last_step)?;
    mfa::set_enabled(conn, &caller.user.id, true, &caller.actor(), time::now())?;
    users::bump_token_version(conn, &caller.user.id)?;
    caller.audit(
        conn,
        AuditAction::UserMfaEnabled,
        audit::object("user", &caller.user.id),
        audit::change("mfa_enabled", false.into(), true.into()),
    )
}

/// Turns MFA off (and forgets the secret) with a current code. The code is
/// a guess at the account's second factor (whoever holds a stolen token
/// could try every code), so it is throttled like a login of the account.
pub async fn disable(state: &AppState, caller: Caller, otp: String) -> Result<()> {
    let attempt = throttle::reserve(state, &throttle::account_keys(state, &caller)).await?;
    let secrets = state.secrets.clone();
    state
        .db
        .write(move |conn| {
            disable_with_code(conn, &caller, &secrets, &otp)?;
            Ok(attempt.settle(conn)?)
        })
        .await
}

fn disable_with_code(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    otp: &str,
) -> Result<()> {
    person(caller)?;
    let state = mfa::state(conn, &caller.user.id)?;
    let secret = match state.secret {
        Some(sealed) if state.enabled => open(secrets, &caller.user.id, &sealed)?,
        _ => return Err(Error::field("otp", NOT_ENABLED)),
    };
    claim_code(conn, &caller.user.id, &secret, otp, state.last_step)?;
    mfa::set_enabled(conn, &caller.user.id, false, &caller.actor(), time::now())?;
    caller.audit(
        conn,
        AuditAction::UserMfaDisabled,
        audit::object("user", &caller.user.id),
        audit::change("mfa_enabled", true.into(), false.into()),
    )
}

/// What a login's second factor came to.
pub enum SecondFactor {
    /// Valid, or the user has no MFA.
    Passed,
    Missing,
    /// Wrong, expired or already used: a guess, as a wrong password is.
    Invalid,
}

/// Checks a login's code against the user's MFA state as stored now.
pub fn check_login_code(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    user_id: &str,
    otp: Option<&str>,
) -> Result<SecondFactor> {
    let state = mfa::state(conn, user_id)?;
    let sealed = match state.secret {
        Some(sealed) if state.enabled => sealed,
        _ => return Ok(SecondFactor::Passed),
    };
    let Some(otp) = otp.filter(|o| !o.trim().is_empty()) else {
        return Ok(SecondFactor::Missing);
    };
    let secret = open(secrets, user_id, &sealed)?;
    Ok(
        match claim_code(conn, user_id, &secret, otp, state.last_step) {
            Ok(()) => SecondFactor::Passed,
            Err(Error::Validation(_)) => SecondFactor::Invalid,
            Err(other) => return Err(other),
        },
    )
}

/// The user's TOTP secret. One that does not open (altered, copied from
/// another row, another key) is a server fault, never a pass: a 500, logged.
fn open(secrets: &SecretBox, user_id: &str, sealed: &str) -> Result<Zeroizing<String>> {
    secrets
        .open(sealed, stored::mfa_secret(user_id))
        .map_err(|e| Error::internal(anyhow!("the TOTP secret of user {user_id}: {e}")))
}

/// Accepts `otp` once: its step must be valid now, later than the last one
/// used, and still unclaimed when recorded (another replica may race).
fn claim_code(
    conn: &mut DbConnection,
    user_id: &str,
    secret: &str,
    otp: &str,
    last_step: Option<i64>,
) -> Result<()> {
    let step = totp::accepted_step(secret, otp, totp::unix_now(), last_step)
        .ok_or_else(|| Error::field("otp", OTP_INVALID))?;
    if mfa::claim_step(conn, user_id, step)? {
        Ok(())
    } else {
        Err(Error::field("otp", OTP_INVALID))
    }
}
