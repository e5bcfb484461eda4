use actix_web::{HttpResponse, web};

use super::{OtpRequest, read_otp};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::service::mfa;
use crate::state::AppState;

/// Confirm MFA
///
/// Turns MFA on with a current code for the pending secret. From then on,
/// logging in needs `otp` too, and every token issued to the caller before
/// (the one that made this request included) stops working: the client logs
/// in again with its password and a code from the app (`otp`), a later one
/// than the code sent here.
#[utoipa::path(
    post,
    path = "/profile/mfa/confirm/",
    tag = "profile",
    request_body(content = OtpRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "MFA is on; earlier tokens are ended, so log in again with a code"),
        (status = 400, description = "`otp` missing or invalid, no enrollment pending, or MFA already on", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "API users have no MFA", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn confirm_mfa(
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
        .write(move |conn| mfa::confirm(conn, &caller, &secrets, &otp))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
