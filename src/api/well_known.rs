//! What other services read to trust Tessera's tokens: the public keys
//! (`/.well-known/jwks.json`) and the authorization server's metadata
//! (`/.well-known/oauth-authorization-server`, after RFC 8414). Neither
//! needs authentication.

use actix_web::http::header::{CACHE_CONTROL, CacheDirective};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::signing_keys;
use crate::state::AppState;

/// How long verifiers may cache the key set (a new key is published
/// `TESSERA_SIGNING_KEY_GRACE` seconds before it signs, by default longer).
pub const JWKS_MAX_AGE: u32 = 300;

/// A public key (RFC 7517): Ed25519 (`kty` OKP, `crv`, `x`) or RSA (`n`, `e`).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    /// `OKP` (Ed25519) or `RSA`.
    pub kty: String,
    /// The `kid` header of the tokens it verifies.
    pub kid: String,
    /// `EdDSA` or `RS256`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(rename = "use")]
    pub use_: String,
    /// `Ed25519` (OKP keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// The public key, base64url (OKP keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// The modulus, base64url (RSA keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// The exponent, base64url (RSA keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A JWK Set.
#[derive(Serialize, ToSchema)]
pub struct JwkSet {
    /// Every key whose tokens may still be valid, and the next one.
    pub keys: Vec<Jwk>,
}

/// Token-verification keys
///
/// The public keys of every key that signs tokens, signed tokens that are
/// still valid, or will sign after its grace period: verify a token with
/// the key whose `kid` its header names. Cacheable for five minutes; when a
/// token names a `kid` you do not know, fetch the set again.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "tokens",
    responses((status = 200, description = "The JWK Set", body = JwkSet)),
    security(())
)]
pub async fn get_jwks(state: web::Data<AppState>) -> Result<HttpResponse> {
    let keys = state.db.read(signing_keys::jwks).await?;
    let keys = keys
        .into_iter()
        .map(serde_json::from_value)
        .collect::<std::result::Result<Vec<Jwk>, _>>()
        .map_err(Error::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header(CACHE_CONTROL_PUBLIC.clone())
        .json(JwkSet { keys }))
}

static CACHE_CONTROL_PUBLIC: std::sync::LazyLock<(
    actix_web::http::header::HeaderName,
    actix_web::http::header::CacheControl,
)> = std::sync::LazyLock::new(|| {
    (
        CACHE_CONTROL,
        actix_web::http::header::CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(JWKS_MAX_AGE),
        ]),
    )
});

/// Authorization server metadata (RFC 8414).
#[derive(Serialize, ToSchema)]
pub struct ServerMetadata {
    /// The `iss` of every token (`TESSERA_PUBLIC_URL`).
    pub issuer: String,
    /// Where the token-verification keys are published.
    pub jwks_uri: String,
    /// `POST` `{"username", "password"}` for a token.
    pub token_endpoint: String,
    /// RFC 7662 introspection (needs `tokens.introspect`).
    pub introspection_endpoint: String,
    /// Revokes a token and its refresh family.
    pub revocation_endpoint: String,
    /// Algorithms tokens are signed with.
    pub token_signing_alg_values_supported: Vec<String>,
    /// None: Tessera runs no authorization-code flow.
    pub response_types_supported: Vec<String>,
}

/// Authorization server metadata
///
/// Where a service that trusts Tessera finds the keys, the introspection
/// endpoint and the issuer its tokens name (RFC 8414).
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "tokens",
    responses((status = 200, description = "The metadata", body = ServerMetadata)),
    security(())
)]
pub async fn get_server_metadata(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.tokens.issuer().to_owned();
    let base = issuer.trim_end_matches('/').to_owned();
    HttpResponse::Ok()
        .insert_header(CACHE_CONTROL_PUBLIC.clone())
        .json(ServerMetadata {
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            token_endpoint: format!("{base}/auth/obtain/"),
            introspection_endpoint: format!("{base}/auth/introspect/"),
            revocation_endpoint: format!("{base}/auth/revoke/"),
            token_signing_alg_values_supported: crate::domain::token::TokenAlgorithm::ALL
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            response_types_supported: Vec::new(),
            issuer,
        })
}
