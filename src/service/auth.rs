//! Logging in (one answer for every failure, whether or not the email
//! exists), the re-check of a current password, and the token lifecycle:
//! refresh, verify, revoke.

use crate::auth::Caller;
use crate::auth::caller::token_user;
use crate::auth::token::Claims;
use crate::db::models::UserRow;
use crate::db::{keys as db_keys, users};
use crate::domain::audit::AuditAction;
use crate::domain::user::{Password, StrongPassword};
use crate::domain::{PublicId, time};
use crate::error::{Collect, Error, FieldErrors, REQUIRED, Result};
use crate::service::audit::{self, RequestContext};
use crate::service::mfa::{self, SecondFactor};
use crate::service::passwords;
use crate::service::signing_keys;
use crate::service::sso::login::{self as sso_login, PasswordSignIn};
use crate::service::throttle;
use crate::service::users as users_service;
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
    /// Where the attempt came from (its client address is what throttling counts).
    pub context: RequestContext,
}

/// Checks the credentials and issues a token. An unknown email costs one
/// dummy argon2 verification, like a wrong password. Failures count per
/// client address and per account; past the limit the answer is a 429,
/// given before any password is verified. Each attempt is counted before
/// its password is verified and forgiven once it proves right, so
/// concurrent guesses cannot outrun the limit.
pub async fn obtain_token(state: &AppState, input: LoginInput) -> Result<String> {
    match sign_in(state, input).await? {
        SignIn::Token(token) => Ok(token),
        SignIn::CodeNeeded { .. } => Err(Error::field("otp", mfa::OTP_REQUIRED)),
    }
}

/// Where a sign-in stands after its password.
pub enum SignIn {
    /// Signed in: the token.
    Token(String),
    /// The password was right and the person has MFA on, but no code came:
    /// an interface that asks for the code in a second step (the console)
    /// remembers who this is and calls `second_step` with it.
    CodeNeeded {
        user_id: String,
        /// The person's `token_version` now: a change before the code
        /// (new password, deactivation) ends the sign-in.
        token_version: i32,
    },
}

/// `obtain_token`, telling a missing code apart from a failure.
pub async fn sign_in(state: &AppState, input: LoginInput) -> Result<SignIn> {
    let client_address = input.context.client_address.clone().unwrap_or_default();
    let keys = state.login_throttle.keys(&client_address, &input.email);
    let attempt = throttle::reserve(state, &keys).await?;
    let email = input.email.clone();
    let candidates: Vec<UserRow> = state
        .db
        .read(move |conn| Ok(users::find_people_by_email(conn, &email)?))
        .await?;
    let hashes = candidates.iter().map(|u| u.password_hash.clone()).collect();
    let verified = state.hasher.verify_many(input.password, hashes).await?;
    let wanted_org = input.organization.as_deref().and_then(PublicId::parse);
    // Failures are audited in the organizations of the people this email names.
    let attempted: Vec<(String, String)> = candidates
        .iter()
        .filter(|u| {
            wanted_org
                .as_ref()
                .is_none_or(|org| org.as_str() == u.organization_id)
        })
        .map(|u| (u.organization_id.clone(), u.id.clone()))
        .collect();
    let context = input.context;
    let failed = Failed {
        attempted,
        context: &context,
    };
    if input.organization.is_some() && wanted_org.is_none() {
        return refused(state, failed, Error::non_field(BAD_CREDENTIALS)).await;
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
        0 => return refused(state, failed, Error::non_field(BAD_CREDENTIALS)).await,
        1 => matches.remove(0),
        _ => {
            // The right password: not a guess.
            throttle::settle(state, attempt).await?;
            return Err(Error::field("organization", ORGANIZATION_NEEDED));
        }
    };
    let (attempt, break_glass) = password_allowed(state, &user, attempt).await?;
    second_factor(state, user, break_glass, input.otp, attempt, context).await
}

/// Whether `user` may sign in with a password at all (its organization may
/// require single sign-on; an OWNER may break glass): the reservation back
/// and whether this is a break-glass sign-in, or the refusal. The password
/// was right, so a refusal settles the attempt: it was not a guess.
async fn password_allowed(
    state: &AppState,
    user: &UserRow,
    attempt: throttle::Reservation,
) -> Result<(throttle::Reservation, bool)> {
    let checked = user.clone();
    let password_sign_in = state
        .db
        .read(move |conn| sso_login::password_sign_in(conn, &checked))
        .await?;
    if password_sign_in == PasswordSignIn::Refused {
        throttle::settle(state, attempt).await?;
        return Err(Error::non_field(sso_login::SSO_REQUIRED));
    }
    Ok((attempt, password_sign_in == PasswordSignIn::BreakGlass))
}

/// The second step of a sign-in whose password was right (`SignIn::CodeNeeded`):
/// `user_id` with the `token_version` it had then, and the code. Throttled
/// as a login of the same account from the same address; refused as a bad
/// login when the person changed since (deactivated, new password, MFA
/// turned off and on, single sign-on now required).
pub async fn second_step(
    state: &AppState,
    user_id: String,
    token_version: i32,
    otp: String,
    context: RequestContext,
) -> Result<String> {
    let found = state
        .db
        .read(move |conn| Ok(users::find(conn, &user_id)?))
        .await?;
    let user = found
        .filter(|u| u.active && !u.is_system && !u.is_apiuser && u.token_version == token_version)
        .ok_or_else(|| Error::non_field(BAD_CREDENTIALS))?;
    let client_address = context.client_address.clone().unwrap_or_default();
    let keys = state.login_throttle.keys(&client_address, &user.email);
    let attempt = throttle::reserve(state, &keys).await?;
    let (attempt, break_glass) = password_allowed(state, &user, attempt).await?;
    match second_factor(state, user, break_glass, Some(otp), attempt, context).await? {
        SignIn::Token(token) => Ok(token),
        SignIn::CodeNeeded { .. } => Err(Error::field("otp", mfa::OTP_REQUIRED)),
    }
}

/// Checks the code (when the person has MFA on) of a sign-in whose
/// password was right, records the login and issues the token.
async fn second_factor(
    state: &AppState,
    user: UserRow,
    break_glass: bool,
    otp: Option<String>,
    attempt: throttle::Reservation,
    context: RequestContext,
) -> Result<SignIn> {
    let (login_user, login_context) = (user.clone(), context.clone());
    let secrets = state.secrets.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let id = &login_user.id;
            let outcome = mfa::check_login_code(conn, &secrets, id, otp.as_deref())?;
            // A missing code follows the right password: not a guess either.
            match outcome {
                SecondFactor::Passed | SecondFactor::Missing => attempt.settle(conn)?,
                SecondFactor::Invalid => attempt.keep(),
            }
            if matches!(outcome, SecondFactor::Passed) {
                users::record_login(conn, id, time::now())?;
                audit::record(
                    conn,
                    &login_user.organization_id,
                    Some(&login_user),
                    &login_context,
                    AuditAction::AuthLogin,
                    audit::object("user", id),
                    audit::Changes::new(),
                )?;
                if break_glass {
                    audit::record(
                        conn,
                        &login_user.organization_id,
                        Some(&login_user),
                        &login_context,
                        AuditAction::AuthBreakGlass,
                        audit::object("user", id),
                        audit::Changes::new(),
                    )?;
                }
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        SecondFactor::Passed => Ok(SignIn::Token(state.tokens.issue(&user))),
        SecondFactor::Missing => Ok(SignIn::CodeNeeded {
            user_id: user.id,
            token_version: user.token_version,
        }),
        SecondFactor::Invalid => {
            let failed = Failed {
                attempted: vec![(user.organization_id.clone(), user.id.clone())],
                context: &context,
            };
            refused(state, failed, Error::field("otp", mfa::OTP_INVALID)).await
        }
    }
}

/// A failed login: whom it tried.
struct Failed<'a> {
    /// (organization, user) of each person the attempt named.
    attempted: Vec<(String, String)>,
    context: &'a RequestContext,
}

/// A refusal that was a guess (a wrong password or code; its attempt stays
/// counted towards throttling), audited as `auth.login_failed` (by an
/// anonymous actor) on each person it named.
async fn refused<T>(state: &AppState, failed: Failed<'_>, error: Error) -> Result<T> {
    if !failed.attempted.is_empty() {
        let (attempted, context) = (failed.attempted, failed.context.clone());
        state
            .db
            .write(move |conn| {
                for (org, user) in &attempted {
                    audit::record(
                        conn,
                        org,
                        None,
                        &context,
                        AuditAction::AuthLoginFailed,
                        audit::object("user", user),
                        audit::Changes::new(),
                    )?;
                }
                Ok(())
            })
            .await?;
    }
    Err(error)
}

/// A change of one's own password as asked for: a field is `None` when
/// it was not sent.
#[derive(Default)]
pub struct PasswordChange {
    pub current_password: Option<String>,
    pub password: Option<String>,
    pub confpassword: Option<String>,
}

pub const PASSWORDS_DIFFER: &str = "The two passwords do not match.";

/// Whether the caller may change its own password (API users have none).
pub fn authorize_own_password_change(caller: &Caller) -> Result<()> {
    if caller.user.is_apiuser {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// `POST /profile/change_password/` and the console's password form: every
/// field is checked at once (with `errors`, what reading the request found
/// already), the new password judged before the current one is checked,
/// then [`change_own_password`].
pub async fn change_password(
    state: &AppState,
    caller: Caller,
    change: PasswordChange,
    mut errors: FieldErrors,
) -> Result<()> {
    authorize_own_password_change(&caller)?;
    for (key, value) in [
        ("current_password", &change.current_password),
        ("password", &change.password),
        ("confpassword", &change.confpassword),
    ] {
        if value.is_none() && !errors.contains(key) {
            errors.add(key, REQUIRED);
        }
    }
    let password = change
        .password
        .as_deref()
        .and_then(|p| Password::parse(p).collect(&mut errors, "password"));
    if let (Some(new), Some(again)) = (&change.password, &change.confpassword)
        && new != again
    {
        errors.add("confpassword", PASSWORDS_DIFFER);
    }
    // Judged before the current password is checked (every field error at
    // once), hashed only after.
    let strong = match password {
        Some(password) if errors.is_empty() => {
            match passwords::judge(password, passwords::owner_of(&caller.user)).await? {
                Ok(strong) => Some(strong),
                Err(weak) => {
                    errors.add("password", weak);
                    None
                }
            }
        }
        _ => None,
    };
    errors.into_result()?;
    let strong = strong.ok_or_else(|| Error::internal(anyhow::anyhow!("an unjudged password")))?;
    change_own_password(
        state,
        caller,
        change.current_password.unwrap_or_default(),
        strong,
    )
    .await
}

pub const CURRENT_PASSWORD_WRONG: &str = "The current password is wrong.";

/// Changes the caller's own password after checking its current one: a
/// guess at the password like a login, so it is throttled with the login
/// of the caller's account (see `throttle::account_keys`).
pub async fn change_own_password(
    state: &AppState,
    caller: Caller,
    current_password: String,
    password: StrongPassword,
) -> Result<()> {
    let attempt = throttle::reserve(state, &throttle::account_keys(state, &caller)).await?;
    let current_ok = state
        .hasher
        .verify(current_password, caller.user.password_hash.clone())
        .await?;
    if !current_ok {
        attempt.keep();
        return Err(Error::field("current_password", CURRENT_PASSWORD_WRONG));
    }
    let hash = state.hasher.hash(password).await?;
    state
        .db
        .write(move |conn| {
            attempt.settle(conn)?;
            users_service::set_own_password(conn, &caller, hash)
        })
        .await
}

pub const TOKEN_INVALID: &str = "Token is invalid or expired.";

/// The user of a token that still stands (see `token_user`), or a 400 on `token`.
async fn standing(state: &AppState, token: String) -> Result<(Claims, UserRow)> {
    let invalid = || Error::field("token", TOKEN_INVALID);
    let claims = signing_keys::verify(state, &token)
        .await
        .ok_or_else(invalid)?;
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

/// A new token for the same user, in the old one's refresh family; the old
/// one keeps its expiry.
pub async fn refresh_token(state: &AppState, token: String) -> Result<String> {
    let (claims, user) = standing(state, token).await?;
    Ok(state.tokens.refresh(&user, &claims))
}

pub async fn verify_token(state: &AppState, token: String) -> Result<()> {
    standing(state, token).await.map(drop)
}

/// How long after a revocation a token of the family may still have been
/// refreshed: a refresh that checked the family just before the revocation
/// committed issues its token just after.
const REFRESH_RACE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Revokes a token for good (across restarts and replicas), with every
/// token of its refresh family: the login it descends from and every token
/// refreshed from that login.
pub async fn revoke_token(state: &AppState, token: String, context: RequestContext) -> Result<()> {
    let (claims, user) = standing(state, token).await?;
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Error::field("token", TOKEN_INVALID))?;
    let ttl = chrono::TimeDelta::from_std(state.tokens.ttl()).map_err(Error::internal)?;
    state
        .db
        .write(move |conn| {
            let now = time::now();
            // Once revoked, the family gets no new member, so none of its
            // tokens outlives the newest possible one (issued now at the latest).
            let family_expires = expires.max(now + ttl) + REFRESH_RACE;
            db_keys::revoke_family(conn, claims.family(), family_expires, now)?;
            audit::record(
                conn,
                &user.organization_id,
                Some(&user),
                &context,
                AuditAction::AuthTokenRevoked,
                audit::object("token", &claims.jti),
                audit::Changes::new(),
            )
        })
        .await
}
