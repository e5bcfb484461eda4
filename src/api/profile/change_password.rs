use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service;
use crate::service::auth::PasswordChange;
use crate::state::AppState;

/// A password change.
#[derive(utoipa::ToSchema)]
#[schema(as = ChangePassword)]
pub struct ChangePasswordDoc {
    #[schema(format = Password)]
    pub current_password: String,
    /// At least 10 characters, one of them a digit or a symbol, and hard to guess for the caller (zxcvbn score 3 or more, knowing its email and name).
    #[schema(format = Password, min_length = 10, max_length = 256)]
    pub password: String,
    /// The new password again.
    #[schema(format = Password)]
    pub confpassword: String,
}

/// Change own password
///
/// Every token issued to the caller before the change stops working. A
/// wrong `current_password` counts as a failed login of the caller's
/// account (and client address): past `TESSERA_LOGIN_MAX_FAILURES` within
/// `TESSERA_LOGIN_WINDOW` seconds the answer is a 429 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/profile/change_password/",
    tag = "profile",
    request_body(content = ChangePasswordDoc, content_type = "application/json"),
    responses(
        (status = 204, description = "Changed; log in again"),
        (status = 400, description = "Wrong current password, a weak password, or the two do not match", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "API users have no password", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
        (status = 429, description = "Too many failed logins or password checks for this account or from this address; retry after `Retry-After` seconds", body = ErrorDetail,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn change_password(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    service::auth::authorize_own_password_change(&caller)?;
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let mut read = |key: &str| fields.string(key, &mut errors);
    let change = PasswordChange {
        current_password: read("current_password"),
        password: read("password"),
        confpassword: read("confpassword"),
    };
    service::auth::change_password(&state, caller, change, errors).await?;
    Ok(HttpResponse::NoContent().finish())
}
