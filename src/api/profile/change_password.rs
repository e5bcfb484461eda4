use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED};
use crate::auth::Caller;
use crate::domain::user::Password;
use crate::error::{Collect, Error, FieldErrors, Result};
use crate::service;
use crate::service::passwords;
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
    if caller.user.is_apiuser {
        return Err(Error::Forbidden);
    }
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let mut read = |key: &str| {
        if !fields.has(key) {
            errors.add(key, REQUIRED);
        }
        fields.string(key, &mut errors)
    };
    let current = read("current_password");
    let new = read("password");
    let again = read("confpassword");
    let password = new
        .as_deref()
        .and_then(|p| Password::parse(p).collect(&mut errors, "password"));
    if let (Some(new), Some(again)) = (&new, &again)
        && new != again
    {
        errors.add("confpassword", "The two passwords do not match.");
    }
    // Judged before the current password is checked (every field error at
    // once), hashed only after.
    let strong = match password {
        Some(password) if errors.is_empty() => {
            match passwords::judge(password, passwords::owner_of(&caller.user)).await? {
                Ok(strong) => Some(strong),
                Err(weak) => {
                    errors.add("password", weak);
                    None
                }
            }
        }
        _ => None,
    };
    errors.into_result()?;
    service::auth::change_own_password(
        &state,
        caller,
        current.unwrap_or_default(),
        strong.expect("checked"),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
