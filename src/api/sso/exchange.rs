//! `POST /auth/sso/exchange/`: the frontend's one-time code for a token.

use actix_web::web;

use crate::api::auth::obtain::Token;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED};
use crate::error::{FieldErrors, Result};
use crate::service::sso::login;
use crate::state::AppState;

/// A one-time code from a single sign-on.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the shape read by exchange_sso_code")]
pub struct SsoExchangeRequest {
    /// The `code` the frontend got on its `redirect_uri`; valid once, for two minutes.
    #[schema(min_length = 1, max_length = 128)]
    code: String,
}

/// Exchange a single sign-on code
///
/// Gives the same token as `/auth/obtain/` for the person who signed in
/// through the provider. MFA is not asked: the provider owns it.
#[utoipa::path(
    post,
    path = "/auth/sso/exchange/",
    tag = "auth",
    request_body(content = SsoExchangeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A token", body = Token),
        (status = 400, description = "`code` missing, invalid, expired or already used", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(())
)]
pub async fn exchange_sso_code(state: web::Data<AppState>, body: Body) -> Result<web::Json<Token>> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let code = fields.string("code", &mut errors);
    if code.is_none() && !fields.has("code") {
        errors.add("code", REQUIRED);
    }
    errors.into_result()?;
    let code = code.unwrap_or_default();
    let user = state
        .db
        .write(move |conn| login::exchange(conn, &code, login::Holder::Anyone))
        .await?;
    Ok(web::Json(Token {
        token: state.tokens.issue(&user),
    }))
}
