use actix_web::{HttpRequest, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED, request_context};
use crate::error::{FieldErrors, Result};
use crate::service::auth::{self, LoginInput};
use crate::state::AppState;

/// Credentials for a token.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the shape read by obtain_token")]
pub struct ObtainTokenRequest {
    /// The user's email.
    #[schema(example = "admin@example.com", min_length = 1, max_length = 1024)]
    username: String,
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    password: String,
    /// Organization id; needed only when the same email and password open
    /// accounts in several organizations.
    #[schema(nullable = false)]
    organization: Option<String>,
    /// The current code of the user's authenticator app; required when the
    /// user has MFA on.
    #[schema(nullable = false, example = "123456", min_length = 6, max_length = 6)]
    otp: Option<String>,
}

/// A JSON Web Token; send it as `Authorization: JWT <token>` (or `Bearer <token>`).
#[derive(Serialize, ToSchema)]
pub struct Token {
    pub token: String,
}

/// Obtain token
///
/// Exchanges an email and password for a token (a JWT signed with EdDSA, or
/// RS256, verifiable with `/.well-known/jwks.json`; valid one hour by
/// default). Wrong credentials, an unknown email and a deactivated user all
/// get the same answer. A user with MFA on also sends `otp`, the current
/// code of the authenticator app; each code works once.
///
/// Failed attempts are counted per client address and per email (known or
/// not); past `TESSERA_LOGIN_MAX_FAILURES` within `TESSERA_LOGIN_WINDOW`
/// seconds, attempts get a 429 with `Retry-After` until older failures expire.
#[utoipa::path(
    post,
    path = "/auth/obtain/",
    tag = "auth",
    request_body(content = ObtainTokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A token", body = Token),
        (status = 400, description = "Missing fields, `Unable to log in with provided credentials.`, `organization` needed, or `otp` missing or invalid", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
        (status = 429, description = "Too many failed logins from this address or for this account; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
pub async fn obtain_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<Token>> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let mut required = |key: &str| match fields.string(key, &mut errors) {
        Some(v) if !v.is_empty() && v.len() <= 1024 => Some(v),
        Some(v) if v.len() > 1024 => {
            errors.add(key, "Ensure this field has no more than 1024 characters.");
            None
        }
        Some(_) => {
            errors.add(key, "This field may not be blank.");
            None
        }
        None => {
            if !fields.has(key) {
                errors.add(key, REQUIRED);
            }
            None
        }
    };
    let email = required("username");
    let password = required("password");
    let organization = fields.string("organization", &mut errors);
    let otp = fields.string("otp", &mut errors);
    errors.into_result()?;
    let context = request_context(&req, &state);
    let input = LoginInput {
        email: email.expect("checked"),
        password: password.expect("checked"),
        organization,
        otp,
        context,
    };
    let token = auth::obtain_token(&state, input).await?;
    Ok(web::Json(Token { token }))
}
