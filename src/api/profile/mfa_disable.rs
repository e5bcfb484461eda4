use actix_web::{HttpResponse, web};

use super::{OtpRequest, read_otp};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::service::mfa;
use crate::state::AppState;

/// Disable MFA
///
/// Turns MFA off with a current code, and forgets the secret.
#[utoipa::path(
    delete,
    path = "/profile/mfa/",
    tag = "profile",
    request_body(content = OtpRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "MFA is off"),
        (status = 400, description = "`otp` missing or invalid, or MFA not on", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "API users have no MFA", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn disable_mfa(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    if caller.user.is_apiuser {
        return Err(Error::Forbidden);
    }
    let otp = read_otp(&body)?;
    let secrets = state.secrets.clone();
    state
        .db
        .write(move |conn| mfa::disable(conn, &caller, &secrets, &otp))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
