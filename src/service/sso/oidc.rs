//! The OpenID Connect protocol, through the `openidconnect` crate: the
//! issuer's discovery document, the authorization request (code flow,
//! PKCE S256, state, nonce), the code exchange and the ID token's
//! validation (signature against the provider's JWKS, `iss`, `aud`, `azp`,
//! `exp`, `iat`, `nonce`). Nothing here parses a JWT by hand.

use std::time::Duration;

use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;
use serde::{Deserialize, Serialize};

use super::OidcInput;

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
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(ISSUER_SCHEME),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(ISSUER_SCHEME),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(ISSUER_SCHEME);
    }
    // The issuer is compared as written: keep the client's spelling, less
    // surrounding whitespace.
    Ok(raw.trim().to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

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
