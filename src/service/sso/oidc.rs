//! The OpenID Connect protocol, through the `openidconnect` crate: the
//! issuer's discovery document, the authorization request (code flow,
//! PKCE S256, state, nonce), the code exchange and the ID token's
//! validation (signature against the provider's JWKS, `iss`, `aud`, `azp`,
//! `exp`, `iat`, `nonce`). Nothing here parses a JWT by hand.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::login::{CALLBACK_PATH, Failure, IAT_SKEW, Identity, Refusal, Request, refuse};
use super::{Connection, OidcInput};
use crate::db::secrets::sso_secret;
use crate::state::AppState;

pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];
pub const DEFAULT_CLAIM_EMAIL: &str = "email";
pub const DEFAULT_CLAIM_GROUPS: &str = "groups";
/// How long one request to a provider may take.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

pub const ISSUER_SCHEME: &str =
    "The issuer must be an https URL (http only on a loopback address, for development).";
pub const ISSUER_UNREACHABLE: &str = "The issuer's discovery document could not be fetched or is not valid OpenID Connect discovery metadata for this issuer.";

/// A connection's OIDC settings as stored (its client secret apart, sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub claim_email: String,
    pub claim_groups: String,
}

impl OidcSettings {
    /// Settings for a new connection: the input's values, defaults elsewhere.
    pub fn from_input(input: &OidcInput) -> Self {
        let mut settings = Self {
            issuer: String::new(),
            client_id: String::new(),
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            claim_email: DEFAULT_CLAIM_EMAIL.into(),
            claim_groups: DEFAULT_CLAIM_GROUPS.into(),
        };
        settings.apply(input);
        settings
    }

    /// Applies the fields the input sets.
    pub fn apply(&mut self, input: &OidcInput) {
        if let Some(issuer) = &input.issuer {
            self.issuer = issuer.clone();
        }
        if let Some(client_id) = &input.client_id {
            self.client_id = client_id.clone();
        }
        if let Some(scopes) = &input.scopes {
            self.scopes = with_openid(scopes);
        }
        if let Some(claim) = &input.claim_email {
            self.claim_email = claim.clone();
        }
        if let Some(claim) = &input.claim_groups {
            self.claim_groups = claim.clone();
        }
    }
}

/// The scopes asked for: always `openid`, first, each once.
pub fn with_openid(scopes: &[String]) -> Vec<String> {
    let mut all = vec!["openid".to_owned()];
    for scope in scopes {
        if !all.contains(scope) {
            all.push(scope.clone());
        }
    }
    all
}

/// Checks an issuer URL's form: https, or http on a loopback address (a
/// provider on the same machine, in development and tests); no query or
/// fragment (OpenID Connect Discovery 1.0, section 2).
pub fn parse_issuer(raw: &str) -> Result<String, &'static str> {
    let url = url::Url::parse(raw.trim()).map_err(|_| ISSUER_SCHEME)?;
    if !https_or_loopback(&url) || url.query().is_some() {
        return Err(ISSUER_SCHEME);
    }
    // The issuer is compared as written: keep the client's spelling, less
    // surrounding whitespace.
    Ok(raw.trim().to_owned())
}

/// Whether a provider's URL may be fetched: https, or http on a loopback
/// address (a provider on the same machine, in development and tests); no
/// credentials, no fragment.
pub fn https_or_loopback(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return false,
    };
    let scheme = match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    scheme && url.fragment().is_none() && url.username().is_empty() && url.password().is_none()
}

/// The HTTP client that talks to providers: no redirects (a provider's
/// endpoints are where its metadata says), bounded time.
pub fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .build()
        .expect("the HTTP client builds")
}

/// Fetches and validates the issuer's discovery document (and its JWKS):
/// the document's `issuer` must be the issuer asked for.
pub async fn discover(issuer: &str) -> Result<CoreProviderMetadata, String> {
    let issuer_url = IssuerUrl::new(issuer.to_owned()).map_err(|_| ISSUER_SCHEME.to_owned())?;
    CoreProviderMetadata::discover_async(issuer_url, &http_client())
        .await
        .map_err(|e| {
            tracing::info!(issuer, error = %e, "OIDC discovery failed");
            ISSUER_UNREACHABLE.to_owned()
        })
}

/// How long a discovery document serves the start of sign-ins.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// Most issuers kept at once (a deployment has a handful of connections).
const DISCOVERY_MAX: usize = 256;

/// Discovery documents fetched to start sign-ins, kept `DISCOVERY_TTL`: a
/// burst of anonymous sign-in starts costs the provider one fetch per
/// replica every few minutes, not one each. The callback never uses it: it
/// fetches afresh, for the provider's current signing keys.
#[derive(Default)]
pub struct DiscoveryCache(Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>);

impl DiscoveryCache {
    async fn get(&self, issuer: &str) -> Result<CoreProviderMetadata, String> {
        if let Some((_, metadata)) = self
            .lock()
            .get(issuer)
            .filter(|(fetched, _)| fetched.elapsed() < DISCOVERY_TTL)
        {
            return Ok(metadata.clone());
        }
        let metadata = discover(issuer).await?;
        let mut kept = self.lock();
        kept.retain(|_, (fetched, _)| fetched.elapsed() < DISCOVERY_TTL);
        if kept.len() >= DISCOVERY_MAX {
            kept.clear();
        }
        kept.insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, CoreProviderMetadata)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The provider's client for a connection, from a fresh discovery (which
/// also brings the provider's current signing keys: a rotated key is known
/// at the next sign-in).
async fn client(
    state: &AppState,
    connection: &Connection,
    discovery: Discovery,
) -> Result<Client, Failure> {
    let settings = connection
        .oidc()
        .map_err(|_| Failure::ConnectionUnavailable)?;
    let metadata = match discovery {
        Discovery::Fresh => discover(&settings.issuer).await,
        Discovery::Kept => state.discovery.get(&settings.issuer).await,
    }
    .map_err(|_| Failure::ConnectionUnavailable)?;
    let secret = match &connection.row.secret {
        Some(sealed) => Some(ClientSecret::new(
            state
                .secrets
                .open(sealed, sso_secret(&connection.row.id))
                .map_err(|_| Failure::ConnectionUnavailable)?
                .to_string(),
        )),
        None => None,
    };
    let redirect = RedirectUrl::new(format!("{}{CALLBACK_PATH}", state.public_url))
        .map_err(|_| Failure::ConnectionUnavailable)?;
    Ok(
        CoreClient::from_provider_metadata(metadata, ClientId::new(settings.client_id), secret)
            .set_redirect_uri(redirect),
    )
}

/// Where a client's provider metadata comes from.
enum Discovery {
    /// Fetched now (with the provider's current keys).
    Fresh,
    /// From `DiscoveryCache` (the authorization endpoint, for a start).
    Kept,
}

/// The authorization request (code flow, PKCE S256, state, nonce).
pub(super) async fn request(state: &AppState, connection: &Connection) -> Result<Request, Failure> {
    let client = client(state, connection, Discovery::Kept).await?;
    let settings = connection
        .oidc()
        .map_err(|_| Failure::ConnectionUnavailable)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in with_openid(&settings.scopes).into_iter().skip(1) {
        request = request.add_scope(Scope::new(scope));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    Ok(Request {
        location: url.to_string(),
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: Some(verifier.secret().clone()),
    })
}

/// What the provider sent back to the callback.
pub struct Answer {
    pub code: Option<String>,
    pub error: Option<String>,
    /// The issuer the provider named (RFC 9207), when it did.
    pub iss: Option<String>,
}

/// Exchanges the code (with the PKCE verifier) and validates the ID token
/// per OpenID Connect Core: who signed in.
pub(super) async fn identity(
    state: &AppState,
    connection: &Connection,
    answer: &Answer,
    nonce: String,
    verifier: Option<String>,
) -> Result<Identity, Refusal> {
    let settings = connection
        .oidc()
        .map_err(|_| refuse(Failure::ConnectionUnavailable, "settings"))?;
    // RFC 9207: a provider that names itself must be this connection's.
    if let Some(iss) = &answer.iss
        && *iss != settings.issuer
    {
        return Err(refuse(
            Failure::InvalidState,
            format!("the answer came from {iss}"),
        ));
    }
    if let Some(error) = &answer.error {
        return Err(refuse(
            Failure::ProviderError,
            format!("the provider answered {error}"),
        ));
    }
    let code = answer
        .code
        .clone()
        .ok_or_else(|| refuse(Failure::InvalidToken, "no code"))?;
    let verifier = verifier
        .map(PkceCodeVerifier::new)
        .ok_or_else(|| refuse(Failure::InvalidState, "the sign-in has no PKCE verifier"))?;
    let nonce = Nonce::new(nonce);
    let client = client(state, connection, Discovery::Fresh)
        .await
        .map_err(|f| refuse(f, "the provider cannot be reached"))?;
    let http = http_client();
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| refuse(Failure::ConnectionUnavailable, e.to_string()))?
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .map_err(|e| refuse(Failure::InvalidToken, format!("code exchange: {e}")))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| refuse(Failure::InvalidToken, "no ID token"))?;
    let verifier = client
        .id_token_verifier()
        .set_issue_time_verifier_fn(|iat| {
            if iat > chrono::Utc::now() + IAT_SKEW {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
    let claims = id_token
        .claims(&verifier, &nonce)
        .map_err(|e| refuse(Failure::InvalidToken, format!("ID token: {e}")))?;
    // The token is valid (signature, iss, aud, azp, exp, iat, nonce, by the
    // library): read the configured claims from its payload.
    let payload = payload_of(&id_token.to_string())
        .ok_or_else(|| refuse(Failure::InvalidToken, "unreadable ID token payload"))?;
    Ok(Identity {
        subject: claims.subject().to_string(),
        email: payload
            .get(&settings.claim_email)
            .and_then(Value::as_str)
            .map(str::to_owned),
        email_verified: matches!(payload.get("email_verified"), Some(Value::Bool(true)))
            || matches!(payload.get("email_verified"), Some(Value::String(s)) if s == "true"),
        name: payload
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        groups: match payload.get(&settings.claim_groups) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        },
        amr: payload.get("amr").cloned(),
        acr: payload.get("acr").cloned(),
    })
}

/// The decoded payload of a compact JWS (already verified).
fn payload_of(jwt: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_is_read_from_a_compact_jws() {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"alice","groups":["eng"]}"#);
        let payload = payload_of(&format!("eyJhbGciOiJSUzI1NiJ9.{body}.c2ln")).unwrap();
        assert_eq!(payload["sub"], "alice");
        assert!(payload_of("not-a-jwt").is_none());
        assert!(payload_of("a.!!!.c").is_none());
    }

    #[test]
    fn issuers_are_https_or_local_http() {
        assert!(parse_issuer("https://login.example.com/realms/acme").is_ok());
        assert!(parse_issuer("http://127.0.0.1:8080").is_ok());
        assert!(parse_issuer("http://localhost:8080/").is_ok());
        for bad in [
            "http://login.example.com",
            "ftp://x.example",
            "https://x.example/?a=1",
            "https://u@x.example/",
            "not a url",
        ] {
            assert_eq!(parse_issuer(bad), Err(ISSUER_SCHEME), "{bad}");
        }
    }

    #[test]
    fn openid_is_always_asked_for() {
        assert_eq!(
            with_openid(&["email".into(), "openid".into(), "groups".into()]),
            ["openid", "email", "groups"]
        );
    }
}
