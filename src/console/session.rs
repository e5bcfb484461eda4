//! The console's session: the same token `POST /auth/obtain/` issues, kept
//! in an HttpOnly cookie, so it is checked exactly as an `Authorization`
//! token is (signature, expiry, user active, password unchanged) and ended
//! the way tokens end (`/auth/revoke/`'s revocation, kept in the database:
//! replicas share no memory). The CSRF token every form carries is derived
//! from the session token, so it needs no storage either.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Failure;
use crate::auth::Caller;
use crate::auth::caller::{request_context, token_caller};
use crate::service::audit::{Interface, RequestContext};
use crate::state::AppState;

/// The session token.
pub const SESSION_COOKIE: &str = "tessera_console";
/// The sign-in forms' CSRF token, before there is a session.
pub const SIGN_IN_COOKIE: &str = "tessera_console_sign_in";
/// Who got the password right, waiting for the code (sealed).
pub const CODE_COOKIE: &str = "tessera_console_code";
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
            let mut caller = token_caller(&state, token.clone())
                .await
                .map_err(|e| match e {
                    crate::error::Error::InvalidToken | crate::error::Error::NotAuthenticated => {
                        Failure::SignIn
                    }
                    other => Failure::from(other),
                })?;
            caller.context = context(&req, &state);
            Ok(Session {
                caller,
                token,
                state,
            })
        })
    }
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
}
