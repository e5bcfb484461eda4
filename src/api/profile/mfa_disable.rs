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
/// Turns MFA off with a current code, and forgets the secret. A wrong code
/// counts as a failed login of the caller's account (and client address):
/// past `TESSERA_LOGIN_MAX_FAILURES` within `TESSERA_LOGIN_WINDOW` seconds
/// the answer is a 429 with `Retry-After`.
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
        (status = 429, description = "Too many failed logins or code checks for this account or from this address; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
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
    mfa::disable(&state, caller, otp).await?;
    Ok(HttpResponse::NoContent().finish())
}
