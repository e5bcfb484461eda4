//! `GET /sso/login/` and `GET /sso/login/{connection_id}/`: the browser
//! leaves for the provider.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::IntoParams;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, request_context};
use crate::error::{Error, REQUIRED, Result};
use crate::service::audit::{Interface, RequestContext};
use crate::service::sso::login;
use crate::state::AppState;

/// Query parameters of home-realm discovery.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by sso_login()")]
pub struct SsoLoginParams {
    /// The person's email: its domain picks the connection.
    #[param(max_length = 254, example = "alice@corp.example")]
    email: String,
}

/// The 302 to the provider, with the cookie binding the sign-in to this
/// browser (or, when the provider cannot be reached, to the frontend with
/// `error=connection_unavailable`).
fn to_provider(state: &AppState, started: login::Started) -> HttpResponse {
    let (location, browser, protocol) = match started {
        login::Started::Provider {
            location,
            browser,
            protocol,
        } => (location, browser, protocol),
        login::Started::Frontend(location) => {
            return HttpResponse::Found()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
    };
    let cookie = login::binding_cookie(state, protocol, browser);
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

fn sso_context(req: &HttpRequest, state: &AppState) -> RequestContext {
    let mut context = request_context(req, state);
    context.interface = Interface::Sso;
    context
}

/// Sign in by email (home-realm discovery)
///
/// Finds the active connection answering for the email's domain and
/// redirects to its provider, setting a short-lived HttpOnly cookie that
/// binds the sign-in to this browser. OpenID Connect: the authorization
/// request (code flow with PKCE S256, `state` and `nonce`; SameSite=Lax
/// cookie); the provider comes back to `/sso/oidc/callback/`. SAML: an
/// AuthnRequest in the HTTP-Redirect binding (`SAMLRequest`, `RelayState`,
/// and `SigAlg`/`Signature` when the connection signs requests; the cookie
/// is SameSite=None under https, since the IdP's answer is a cross-site
/// POST); the IdP comes back to `/sso/saml/acs/`. A provider that cannot
/// be reached sends the browser to the connection's `redirect_uri` with
/// `error=connection_unavailable` (audited).
#[utoipa::path(
    get,
    path = "/sso/login/",
    tag = "sso",
    params(SsoLoginParams),
    responses(
        (status = 302, description = "To the provider (or, when it cannot be reached, to the connection's `redirect_uri` with `error=connection_unavailable`)", headers(("Location" = String, description = "The provider's authorization URL (OIDC) or SSO service with the AuthnRequest (SAML)"), ("Set-Cookie" = String, description = "The sign-in's browser binding"))),
        (status = 400, description = "`email` missing or invalid", body = ValidationErrors),
        (status = 404, description = "No active connection answers for the domain", body = ErrorDetail),
        (status = 429, description = "Too many sign-ins of this connection are under way (`TESSERA_SSO_PENDING_MAX`, each kept ten minutes); retry after `Retry-After`", body = ErrorDetail),
    ),
    security(())
)]
pub async fn sso_login(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    let context = sso_context(&req, &state);
    let query = Query::documented::<SsoLoginParams>(&req)?;
    let email = query
        .first("email")
        .map(str::to_owned)
        .ok_or_else(|| Error::field("email", REQUIRED))?;
    let connection = state
        .db
        .read(move |conn| login::connection_for_email(conn, &email))
        .await?;
    let started = login::start(&state, connection, context).await?;
    Ok(to_provider(&state, started))
}

/// Sign in through a connection
///
/// As `/sso/login/?email=`, for a known connection.
#[utoipa::path(
    get,
    path = "/sso/login/{connection_id}/",
    tag = "sso",
    params(("connection_id" = String, Path, description = "The connection's id.")),
    responses(
        (status = 302, description = "To the provider (or, when it cannot be reached, to the connection's `redirect_uri` with `error=connection_unavailable`)", headers(("Location" = String, description = "The provider's authorization URL (OIDC) or SSO service with the AuthnRequest (SAML)"), ("Set-Cookie" = String, description = "The sign-in's browser binding"))),
        (status = 404, description = "No such active connection", body = ErrorDetail),
        (status = 429, description = "Too many sign-ins of this connection are under way (`TESSERA_SSO_PENDING_MAX`, each kept ten minutes); retry after `Retry-After`", body = ErrorDetail),
    ),
    security(())
)]
pub async fn sso_login_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    connection_id: web::Path<String>,
) -> Result<HttpResponse> {
    let context = sso_context(&req, &state);
    let connection = state
        .db
        .read(move |conn| login::connection_by_id(conn, &connection_id))
        .await?;
    let started = login::start(&state, connection, context).await?;
    Ok(to_provider(&state, started))
}
