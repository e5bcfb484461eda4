//! `/auth/password_reset/`: a mailed single-use link to choose a new password.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED, request_context};
use crate::api::invitations::accept::{SetPasswordDoc, link_input, set_password_page};
use crate::error::{FieldErrors, Result};
use crate::service::invitations;
use crate::state::AppState;

/// `{"email"}`
#[derive(utoipa::ToSchema)]
#[schema(as = PasswordResetRequest)]
#[expect(
    dead_code,
    reason = "documents the shape read by request_password_reset"
)]
pub struct PasswordResetRequestDoc {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

/// Request a password reset
///
/// Always a 204, whether or not the email belongs to anyone (no
/// enumeration). Each ACTIVE user with this email (one per organization)
/// gets a mail with a single-use link valid
/// `TESSERA_PASSWORD_RESET_TTL` seconds (one hour by default). Without SMTP
/// (development mode) no mail is sent. Requests are throttled per client
/// address and per email like logins.
#[utoipa::path(
    post,
    path = "/auth/password_reset/",
    tag = "auth",
    request_body(content = PasswordResetRequestDoc, content_type = "application/json"),
    responses(
        (status = 204, description = "Accepted (whether or not the email is known)"),
        (status = 400, description = "`email` missing or too long", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
        (status = 429, description = "Too many requests from this address or for this email; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
pub async fn request_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let email = fields.string("email", &mut errors);
    if !fields.has("email") {
        errors.add("email", REQUIRED);
    }
    let email = email.filter(|e| {
        let sized = !e.trim().is_empty() && e.len() <= 254;
        if !sized {
            errors.add("email", "Enter a valid email address.");
        }
        sized
    });
    errors.into_result()?;
    let context = request_context(&req, &state);
    invitations::request_reset(&state, email.expect("checked"), context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirm a password reset
///
/// Sets the new password of the link's user and ends every token issued to
/// it before. The token works once; an expired or used one is a 400 on
/// `token`, and so is one issued before the password last changed. Wrong
/// tokens are throttled like failed logins.
#[utoipa::path(
    post,
    path = "/auth/password_reset/confirm/",
    tag = "auth",
    request_body(content = SetPasswordDoc, content_type = "application/json"),
    responses(
        (status = 204, description = "The password is set"),
        (status = 400, description = "Missing fields, a weak password, or a token that is invalid, expired or used", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
        (status = 429, description = "Too many wrong tokens from this address; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
pub async fn confirm_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let input = link_input(&req, &state, &body.fields()?)?;
    invitations::confirm_reset(&state, input).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Password reset page
///
/// The page a mailed reset link opens: a form that posts the token and the
/// new password to this same address.
#[utoipa::path(
    get,
    path = "/auth/password_reset/confirm/",
    tag = "auth",
    params(("token" = Option<String>, Query, description = "The link's token.")),
    responses(
        (status = 200, description = "An HTML form", content_type = "text/html", body = String),
        (status = 400, description = "A `token` over its maximum length or holding a NUL character (`{\"token\": [...]}`), or a query string that is not UTF-8 (`{\"detail\": ...}`)", body = ValidationErrors),
    ),
    security(())
)]
pub async fn password_reset_page(req: HttpRequest) -> Result<HttpResponse> {
    set_password_page(&req, "Choose a new password", invitations::RESET_PATH)
}
