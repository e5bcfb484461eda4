//! `GET /sso/oidc/callback/`: the provider's answer.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::IntoParams;

use crate::api::common::ValidationErrors;
use crate::api::extract::{Query, request_context};
use crate::error::{Error, Result};
use crate::service::audit::Interface;
use crate::service::sso::login::{self, Answer, COOKIE, Callback, Landing};
use crate::service::sso::oidc;
use crate::state::AppState;

pub const UNKNOWN_STATE: &str =
    "This sign-in is unknown, expired or already finished: start again.";

/// What the provider sends back (OpenID Connect Core 3.1.2.5 and 3.1.2.6).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by sso_oidc_callback()"
)]
pub struct SsoCallbackParams {
    /// The authorization code.
    code: Option<String>,
    /// The state Tessera sent.
    state: Option<String>,
    /// The provider's error (e.g. `access_denied`).
    error: Option<String>,
    error_description: Option<String>,
    /// The issuer (RFC 9207), when the provider sends it.
    iss: Option<String>,
    session_state: Option<String>,
}

/// OpenID Connect callback
///
/// The redirect URI to register at the provider (`<public URL>/sso/oidc/callback/`).
/// Checks the state against this browser's cookie (once: a state is
/// single-use), exchanges the code (with the PKCE verifier), validates the
/// ID token per OpenID Connect Core (signature against the provider's
/// JWKS, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`), finds the person (by
/// subject, then by a verified email in the connection's domains), creates
/// one when the connection has `jit`, applies the group mapping, and
/// redirects to the connection's `redirect_uri` with `code` (exchange it at
/// `/auth/sso/exchange/`) or with `error` (`provider_error`,
/// `invalid_state`, `invalid_token`, `email_not_verified`, `unknown_user`,
/// `user_inactive`, `account_conflict`, `connection_unavailable`). Every
/// outcome is audited.
#[utoipa::path(
    get,
    path = "/sso/oidc/callback/",
    tag = "sso",
    params(SsoCallbackParams),
    responses(
        (status = 302, description = "To the frontend, with `code` or `error`", headers(("Location" = String, description = "The connection's redirect_uri with code= or error="))),
        (status = 400, description = "No sign-in has this state (unknown, tampered, expired or already used): `detail`; or a malformed parameter, under its name", body = ValidationErrors),
    ),
    security(())
)]
pub async fn sso_oidc_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let query = Query::documented::<SsoCallbackParams>(&req)?;
    let mut context = request_context(&req, &state);
    context.interface = Interface::Sso;
    let callback = Callback {
        state: query.first("state").map(str::to_owned),
        answer: Answer::Oidc(oidc::Answer {
            code: query.first("code").map(str::to_owned),
            error: query.first("error").map(str::to_owned),
            iss: query.first("iss").map(str::to_owned),
        }),
        browser: req.cookie(COOKIE).map(|c| c.value().to_owned()),
        context,
    };
    land(login::finish(&state, callback).await?, login::CALLBACK_PATH)
}

/// The answer's redirect to the frontend, spending the binding cookie
/// (whatever happened), or the 400 of an unknown sign-in.
pub fn land(landing: Landing, path: &str) -> Result<HttpResponse> {
    let mut spent = Cookie::build(COOKIE, "")
        .path(path.trim_end_matches('/'))
        .http_only(true)
        .finish();
    spent.make_removal();
    match landing {
        Landing::Frontend(location) => Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(spent)
            .finish()),
        Landing::UnknownState => Err(Error::BadRequest(UNKNOWN_STATE.into())),
    }
}
