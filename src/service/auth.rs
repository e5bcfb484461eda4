//! Logging in (one answer for every failure, whether or not the email
//! exists) and the token lifecycle: refresh, verify, revoke.

use crate::auth::caller::token_user;
use crate::auth::token::Claims;
use crate::db::models::UserRow;
use crate::db::{keys as db_keys, users};
use crate::domain::{PublicId, time};
use crate::error::{Error, Result};
use crate::service::mfa::{self, SecondFactor};
use crate::service::throttle;
use crate::state::AppState;

pub const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";
pub const ORGANIZATION_NEEDED: &str =
    "This email belongs to several organizations: send the id of the one to log in to.";

pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub organization: Option<String>,
    /// The TOTP code, needed when the user has MFA on.
    pub otp: Option<String>,
    /// The client as throttling counts it (`LoginThrottle::client_address`).
    pub client_address: String,
}

/// Checks the credentials and issues a token. An unknown email costs one
/// dummy argon2 verification, like a wrong password. Failures count per
/// client address and per account; past the limit the answer is a 429,
/// given before any password is verified.
pub async fn obtain_token(state: &AppState, input: LoginInput) -> Result<String> {
    let keys = state
        .login_throttle
        .keys(&input.client_address, &input.email);
    throttle::check(state, &keys).await?;
    let email = input.email.clone();
    let candidates: Vec<UserRow> = state
        .db
        .read(move |conn| Ok(users::find_people_by_email(conn, &email)?))
        .await?;
    let hashes = candidates.iter().map(|u| u.password_hash.clone()).collect();
    let verified = state.hasher.verify_many(input.password, hashes).await?;
    let wanted_org = input.organization.as_deref().and_then(PublicId::parse);
    if input.organization.is_some() && wanted_org.is_none() {
        return refused(state, &keys, Error::non_field(BAD_CREDENTIALS)).await;
    }
    let mut matches: Vec<UserRow> = candidates
        .into_iter()
        .zip(verified)
        .filter(|(user, ok)| *ok && user.active)
        .map(|(user, _)| user)
        .filter(|user| {
            wanted_org
                .as_ref()
                .is_none_or(|org| org.as_str() == user.organization_id)
        })
        .collect();
    let user = match matches.len() {
        0 => return refused(state, &keys, Error::non_field(BAD_CREDENTIALS)).await,
        1 => matches.remove(0),
        _ => return Err(Error::field("organization", ORGANIZATION_NEEDED)),
    };
    let id = user.id.clone();
    let otp = input.otp;
    let second_factor = state
        .db
        .write(move |conn| {
            let outcome = mfa::check_login_code(conn, &id, otp.as_deref())?;
            if matches!(outcome, SecondFactor::Passed) {
                users::record_login(conn, &id, time::now())?;
            }
            Ok(outcome)
        })
        .await?;
    match second_factor {
        SecondFactor::Passed => Ok(state.tokens.issue(&user)),
        SecondFactor::Missing => Err(Error::field("otp", mfa::OTP_REQUIRED)),
        SecondFactor::Invalid => refused(state, &keys, Error::field("otp", mfa::OTP_INVALID)).await,
    }
}

/// A refusal that was a guess (a wrong password or code): it counts towards throttling.
async fn refused<T>(state: &AppState, keys: &[String; 2], error: Error) -> Result<T> {
    throttle::record_failure(state, keys.clone()).await?;
    Err(error)
}

pub const TOKEN_INVALID: &str = "Token is invalid or expired.";

/// The user of a token that still stands (see `token_user`), or a 400 on `token`.
async fn standing(state: &AppState, token: String) -> Result<(Claims, UserRow)> {
    let invalid = || Error::field("token", TOKEN_INVALID);
    let claims = state.tokens.verify(&token).ok_or_else(invalid)?;
    let (claims, user) = state
        .db
        .read(move |conn| {
            let user = token_user(conn, &claims)?;
            Ok((claims, user))
        })
        .await
        .map_err(|e| {
            if matches!(e, Error::InvalidToken) {
                invalid()
            } else {
                e
            }
        })?;
    Ok((claims, user))
}

/// A new token for the same user; the old one keeps its expiry.
pub async fn refresh_token(state: &AppState, token: String) -> Result<String> {
    let (_, user) = standing(state, token).await?;
    Ok(state.tokens.issue(&user))
}

pub async fn verify_token(state: &AppState, token: String) -> Result<()> {
    standing(state, token).await.map(drop)
}

/// Revokes a token for good (across restarts and replicas).
pub async fn revoke_token(state: &AppState, token: String) -> Result<()> {
    let (claims, _) = standing(state, token).await?;
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Error::field("token", TOKEN_INVALID))?;
    state
        .db
        .write(move |conn| {
            Ok(db_keys::revoke_token(
                conn,
                &claims.jti,
                expires,
                time::now(),
            )?)
        })
        .await
}
