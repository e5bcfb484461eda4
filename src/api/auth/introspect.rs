//! `POST /auth/introspect/` (RFC 7662).

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED};
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::introspection::{self, Active, CredentialKind};
use crate::state::AppState;

/// `{"token": "..."}` (JSON or a form, as RFC 7662 sends it);
/// `token_type_hint` is accepted and not needed.
#[derive(ToSchema)]
#[schema(as = IntrospectionRequest)]
pub struct IntrospectionRequestDoc {
    /// An access token or an API key.
    #[schema(min_length = 1)]
    pub token: String,
    /// `access_token` or `api_key` (any value is accepted and ignored: the
    /// credential's shape says).
    #[schema(value_type = Option<serde_json::Value>)]
    pub token_type_hint: Option<String>,
}

/// RFC 7662's answer: `{"active": false}` alone when the credential does
/// not stand (or belongs to another organization).
#[derive(Serialize, ToSchema)]
pub struct IntrospectionView {
    pub active: bool,
    /// The user or API user the credential acts as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Its organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// A person's email, an API user's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `access_token` or `api_key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The token's id, or the API key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Issued at (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at (unix seconds); absent for a key without expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The token's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The token's audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl From<Option<Active>> for IntrospectionView {
    fn from(active: Option<Active>) -> Self {
        let Some(a) = active else {
            return Self {
                active: false,
                sub: None,
                org: None,
                username: None,
                token_type: None,
                jti: None,
                iat: None,
                exp: None,
                iss: None,
                aud: None,
            };
        };
        Self {
            active: true,
            token_type: Some(match a.kind {
                CredentialKind::AccessToken => "access_token",
                CredentialKind::ApiKey => "api_key",
            }),
            sub: Some(a.sub),
            org: Some(a.org),
            username: Some(a.username),
            jti: Some(a.jti),
            iat: Some(a.iat),
            exp: a.exp,
            iss: a.iss,
            aud: a.aud,
        }
    }
}

/// Introspect a token or API key
///
/// Whether a credential stands now (RFC 7662), reflecting revocation,
/// deactivation and password changes at once. Needs `tokens.introspect` at
/// account tier (give it to the API user of the service that asks); a
/// credential of another organization is `{"active": false}`.
#[utoipa::path(
    post,
    path = "/auth/introspect/",
    tag = "tokens",
    request_body(content = IntrospectionRequestDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Whether it is active, and what it stands for", body = IntrospectionView),
        (status = 400, description = "`token` missing", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks tokens.introspect", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn introspect_token(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<IntrospectionView>> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let token = fields.string("token", &mut errors);
    if !fields.has("token") {
        errors.add("token", REQUIRED);
    } else if token.as_deref() == Some("") {
        errors.add("token", "This field may not be blank.");
    }
    let token = Parsed::new(token.unwrap_or_default(), errors);
    let answer = introspection::introspect(&state, &caller, token).await?;
    Ok(web::Json(answer.into()))
}
