//! `/profile/`: the caller's own user, its password and its MFA.

pub mod change_password;
pub mod get;
pub mod mfa_confirm;
pub mod mfa_disable;
pub mod mfa_enroll;
pub mod update;

use crate::api::extract::{Body, REQUIRED};
use crate::error::{Error, FieldErrors, Result};

/// A code from the authenticator app.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the shape read by read_otp")]
pub struct OtpRequest {
    /// The app's current 6-digit code.
    #[schema(example = "123456", min_length = 6, max_length = 6)]
    otp: String,
}

/// The required `otp` of a body.
fn read_otp(body: &Body) -> Result<String> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let otp = fields.string("otp", &mut errors);
    errors.into_result()?;
    match otp {
        Some(otp) if !otp.trim().is_empty() => Ok(otp),
        Some(_) => Err(Error::field("otp", "This field may not be blank.")),
        None => Err(Error::field("otp", REQUIRED)),
    }
}
