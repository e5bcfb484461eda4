use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service::mfa;
use crate::state::AppState;

/// A pending TOTP enrollment: add it to an authenticator app, then confirm
/// it with a code.
#[derive(Serialize, ToSchema)]
pub struct MfaEnrollment {
    /// The shared secret, Base32 (for typing into an app).
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The same secret as an `otpauth://` URI (for a QR code): SHA1, 6
    /// digits, 30-second steps, issuer `Tessera`, the user's email as account.
    #[schema(
        example = "otpauth://totp/Tessera:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Tessera"
    )]
    pub otpauth_uri: String,
}

/// Enroll in MFA
///
/// Generates a new TOTP secret for the caller, pending until confirmed with
/// `POST /profile/mfa/confirm/`; enrolling again replaces a pending secret.
/// The secret is shown in this answer only.
#[utoipa::path(
    post,
    path = "/profile/mfa/",
    tag = "profile",
    responses(
        (status = 200, description = "The pending secret", body = MfaEnrollment),
        (status = 400, description = "MFA is already enabled", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "API users have no MFA", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn enroll_mfa(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse> {
    let secrets = state.secrets.clone();
    let enrollment = state
        .db
        .write(move |conn| mfa::enroll(conn, &caller, &secrets))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MfaEnrollment {
            secret: enrollment.secret,
            otpauth_uri: enrollment.otpauth_uri,
        }))
}
