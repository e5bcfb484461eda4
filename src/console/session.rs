//! The console's session: the same token `POST /auth/obtain/` issues, kept
//! in an HttpOnly cookie, so it is checked exactly as an `Authorization`
//! token is (signature, expiry, user active, password unchanged) and ended
//! the way tokens end (`/auth/revoke/`'s revocation, kept in the database:
//! replicas share no memory). The CSRF token every form carries is derived
//! from the session token, so it needs no storage either.
//!
//! The session slides: a request made with a token past half its life gets
//! a fresh token of the same refresh family in its response (`slide`), so
//! a person at work is not signed out mid-task, one idle for a whole token
//! lifetime is, and signing out (which revokes the family) still ends every
//! token the session ever had.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Failure;
use crate::auth::Caller;
use crate::auth::caller::{request_context, token_caller_with_claims};
use crate::auth::token::Claims;
use crate::service::audit::{Interface, RequestContext};
use crate::state::AppState;

/// The session token.
pub const SESSION_COOKIE: &str = "tessera_console";
/// The sign-in forms' CSRF token, before there is a session.
pub const SIGN_IN_COOKIE: &str = "tessera_console_sign_in";
/// Who got the password right, waiting for the code (sealed).
pub const CODE_COOKIE: &str = "tessera_console_code";
/// The binding of a single sign-on this browser started from the console.
pub const SSO_COOKIE: &str = "tessera_console_sso";
/// Where the console's cookies are sent.
pub const PATH: &str = "/console";

/// A signed-in person, with the token the session stands on.
pub struct Session {
    pub caller: Caller,
    pub token: String,
    pub state: web::Data<AppState>,
}

impl Session {
    /// The token every form of this session carries.
    pub fn csrf(&self) -> String {
        csrf_of(&self.token)
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Failure> {
        same(sent, &self.csrf()).then_some(()).ok_or(Failure::Csrf)
    }
}

/// The CSRF token of a session: a hash of its token, which only this
/// browser holds (HttpOnly) and only the server reads.
fn csrf_of(token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"tessera console csrf\0")
        .chain_update(token.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in constant time.
pub fn same(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// The request as the audit trail records it, marked as the console's.
pub fn context(req: &HttpRequest, state: &AppState) -> RequestContext {
    let mut context = request_context(req, state);
    context.interface = Interface::Console;
    context
}

/// Whether cookies must be `Secure` (the public URL is https).
pub fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// A console cookie: HttpOnly, SameSite=Lax, Secure behind https, sent
/// only under `/console`.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    seconds: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(PATH)
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(seconds))
        .finish()
}

/// The cookie `name` removed.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(state, name, String::new(), 0);
    gone.make_removal();
    gone
}

impl FromRequest for Session {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Failure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or(Failure::SignIn)?;
            let token = req
                .cookie(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|t| !t.is_empty() && t.len() <= 4096)
                .ok_or(Failure::SignIn)?;
            let (mut caller, claims) = token_caller_with_claims(&state, token.clone())
                .await
                .map_err(|e| match e {
                    crate::error::Error::InvalidToken | crate::error::Error::NotAuthenticated => {
                        Failure::SignIn
                    }
                    other => Failure::from(other),
                })?;
            caller.context = context(&req, &state);
            // Tokens are issued and expire on the wall clock, not the service's.
            let now = chrono::Utc::now().timestamp();
            if past_half_life(&claims, state.tokens.ttl(), now) {
                let renewed = state.tokens.refresh(&caller.user, &claims);
                req.extensions_mut().insert(Renewed(renewed));
            }
            Ok(Session {
                caller,
                token,
                state,
            })
        })
    }
}

/// A token issued in place of the session's, for `slide` to hand over.
struct Renewed(String);

/// Whether a token has lived half its life or more at `now` (Unix seconds).
fn past_half_life(claims: &Claims, ttl: std::time::Duration, now: i64) -> bool {
    let half = i64::try_from(ttl.as_secs() / 2).unwrap_or(i64::MAX);
    now.saturating_sub(claims.iat) >= half
}

/// Middleware of the console: sets the session cookie to the token
/// `Session` renewed, unless the response sets that cookie itself (signing
/// in anew, or signing out).
pub async fn slide(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let renewed = response
        .request()
        .extensions_mut()
        .remove::<Renewed>()
        .map(|r| r.0);
    let sets_its_own = response
        .response()
        .cookies()
        .any(|c| c.name() == SESSION_COOKIE);
    let state = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned();
    if let (Some(token), Some(state), false) = (renewed, state, sets_its_own) {
        let seconds = i64::try_from(state.tokens.ttl().as_secs()).unwrap_or(i64::MAX);
        response
            .response_mut()
            .add_cookie(&cookie(&state, SESSION_COOKIE, token, seconds))?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        assert_eq!(csrf_of("a"), csrf_of("a"));
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert!(same(&csrf_of("a"), &csrf_of("a")));
        assert!(!same("", ""));
        assert!(!same(&csrf_of("a"), &csrf_of("b")));
    }

    #[test]
    fn a_token_is_renewed_from_half_its_life() {
        let claims = Claims {
            iss: None,
            aud: None,
            sub: "u".into(),
            org: "o".into(),
            jti: "j".into(),
            iat: 1_000,
            exp: 1_000 + 3_600,
            ver: 1,
            fam: None,
        };
        let ttl = std::time::Duration::from_secs(3_600);
        assert!(!past_half_life(&claims, ttl, 1_000));
        assert!(!past_half_life(&claims, ttl, 2_799));
        assert!(past_half_life(&claims, ttl, 2_800));
        assert!(past_half_life(&claims, ttl, 4_600));
    }
}
