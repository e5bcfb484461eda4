//! `/auth/refresh/`, `/auth/verify/`, `/auth/revoke/`: each takes `{"token"}`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::Token;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED, request_context};
use crate::error::{FieldErrors, Result};
use crate::service::auth;
use crate::state::AppState;

/// `{"token": "..."}`
#[derive(utoipa::ToSchema)]
#[schema(as = TokenRequest)]
pub struct TokenRequestDoc {
    pub token: String,
}

fn token_of(body: &Body) -> Result<String> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let token = fields.string("token", &mut errors);
    if !fields.has("token") {
        errors.add("token", REQUIRED);
    }
    errors.into_result()?;
    Ok(token.unwrap_or_default())
}

/// Refresh token
///
/// A new token for the same user, valid for the full lifetime; the old token
/// keeps its own expiry. Both belong to the same refresh family (that of the
/// login the old token descends from): revoking either ends both. A revoked,
/// expired or otherwise invalid token is a 400.
#[utoipa::path(
    post,
    path = "/auth/refresh/",
    tag = "auth",
    request_body(content = TokenRequestDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "A new token", body = Token),
        (status = 400, description = "`{\"token\": [\"Token is invalid or expired.\"]}`", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(())
)]
pub async fn refresh_token(state: web::Data<AppState>, body: Body) -> Result<web::Json<Token>> {
    let token = auth::refresh_token(&state, token_of(&body)?).await?;
    Ok(web::Json(Token { token }))
}

/// Verify token
///
/// 200 with the same token while it stands; 400 once it is expired, revoked,
/// or its user was deactivated or changed password.
#[utoipa::path(
    post,
    path = "/auth/verify/",
    tag = "auth",
    request_body(content = TokenRequestDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The token stands", body = Token),
        (status = 400, description = "`{\"token\": [\"Token is invalid or expired.\"]}`", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(())
)]
pub async fn verify_token(state: web::Data<AppState>, body: Body) -> Result<web::Json<Token>> {
    let token = token_of(&body)?;
    auth::verify_token(&state, token.clone()).await?;
    Ok(web::Json(Token { token }))
}

/// Revoke token
///
/// The token stops working at once, on every replica and after restarts,
/// and so does its whole refresh family: the login token it descends from
/// and every token refreshed from that login (other logins' tokens are
/// untouched).
#[utoipa::path(
    post,
    path = "/auth/revoke/",
    tag = "auth",
    request_body(content = TokenRequestDoc, content_type = "application/json"),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "`{\"token\": [\"Token is invalid or expired.\"]}`", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(())
)]
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let context = request_context(&req, &state);
    auth::revoke_token(&state, token_of(&body)?, context).await?;
    Ok(HttpResponse::NoContent().finish())
}
