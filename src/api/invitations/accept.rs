use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, Fields, Query, REQUIRED, request_context};
use crate::domain::user::Password;
use crate::error::{Error, FieldErrors, Result};
use crate::mail;
use crate::service::invitations::{self, LINK_INVALID, LinkInput};
use crate::state::AppState;

/// Longest token read; real ones are 43 characters.
const TOKEN_MAX: usize = 200;

/// `{"token", "password"}`
#[derive(utoipa::ToSchema)]
#[schema(as = SetPasswordWithLink)]
#[expect(dead_code, reason = "documents the shape read by link_input")]
pub struct SetPasswordDoc {
    /// The token of the mailed link (its `token` query parameter).
    token: String,
    /// The new password: at least 10 characters, with a digit or a symbol, and hard to guess for the link's user (zxcvbn score 3 or more, knowing its email and name).
    #[schema(format = Password)]
    password: String,
}

/// Reads `{"token", "password"}` of a link form.
pub fn link_input(req: &HttpRequest, state: &AppState, fields: &Fields) -> Result<LinkInput> {
    let mut errors = FieldErrors::new();
    let token = fields.string("token", &mut errors);
    let password = fields.string("password", &mut errors);
    for key in ["token", "password"] {
        if !fields.has(key) {
            errors.add(key, REQUIRED);
        }
    }
    let token = token.filter(|t| {
        let plausible = !t.is_empty() && t.len() <= TOKEN_MAX;
        if !plausible {
            errors.add("token", LINK_INVALID);
        }
        plausible
    });
    let password = password.and_then(|raw| match Password::parse(&raw) {
        Ok(p) => Some(p),
        Err(message) => {
            errors.add("password", message);
            None
        }
    });
    errors.into_result()?;
    Ok(LinkInput {
        token: token.expect("checked"),
        password: password.expect("checked"),
        context: request_context(req, state),
    })
}

/// Accept invitation
///
/// Sets the invited user's password and makes the user ACTIVE; the user then
/// logs in with its email and this password. The token works once; an
/// expired, used or superseded one is a 400 on `token` saying which. Wrong
/// tokens are throttled like failed logins (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/invitations/accept/",
    tag = "invitations",
    request_body(content = SetPasswordDoc, content_type = "application/json"),
    responses(
        (status = 204, description = "The password is set; the user is ACTIVE"),
        (status = 400, description = "Missing fields, a weak password, or a token that is invalid, expired, used or superseded", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
        (status = 429, description = "Too many wrong tokens from this address; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
pub async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let input = link_input(&req, &state, &body.fields()?)?;
    invitations::accept(&state, input).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invitation page
///
/// The page a mailed invitation link opens: a form that posts the token and
/// the chosen password to this same address. Served for people; clients
/// post JSON directly.
#[utoipa::path(
    get,
    path = "/invitations/accept/",
    tag = "invitations",
    params(("token" = Option<String>, Query, description = "The link's token.")),
    responses(
        (status = 200, description = "An HTML form", content_type = "text/html", body = String),
        (status = 400, description = "A `token` over its maximum length or holding a NUL character (`{\"token\": [...]}`), or a query string that is not UTF-8 (`{\"detail\": ...}`)", body = ValidationErrors),
    ),
    security(())
)]
pub async fn invitation_page(req: HttpRequest) -> Result<HttpResponse> {
    set_password_page(&req, "Join", invitations::ACCEPT_PATH)
}

/// A set-password form for the link's token. Never cached, and the token in
/// the address is not sent on as a referrer.
pub fn set_password_page(req: &HttpRequest, title: &str, action: &str) -> Result<HttpResponse> {
    let query = Query::from_request(req, &["token"])?;
    let token = query.first("token").unwrap_or_default();
    if token.len() > TOKEN_MAX {
        return Err(Error::field("token", LINK_INVALID));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .body(mail::set_password_page(title, action, token)))
}
