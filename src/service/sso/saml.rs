//! The SAML 2.0 protocol, through the `samael` crate (XML signatures and
//! encryption by libxmlsec1): the identity provider's metadata, Tessera's
//! service-provider metadata, the AuthnRequest (HTTP-Redirect binding,
//! signed when the connection says so) and the validation of the IdP's
//! response (HTTP-POST binding) into an `Identity`.
//!
//! Validation, in order: the XML signature against the certificates of the
//! IdP's metadata, after which only the signed element is read (samael
//! verifies, then prunes every node the signature does not cover and
//! parses what is left: a wrapped, unsigned copy is gone before anything
//! reads it); a signature algorithm of the SHA-2 family; the response's
//! `Destination` and `Status` (when it is signed); the assertion's `Issuer`, `NotBefore` and
//! `NotOnOrAfter` (with `CLOCK_SKEW`), its bearer `SubjectConfirmationData`
//! (`Recipient` = the ACS, not expired, `InResponseTo` = the request
//! Tessera sent); then here: an `AudienceRestriction` naming this
//! connection's entity id (required, every one of them), no
//! `InResponseTo` on an unsolicited response, and the assertion's ID not
//! seen before (the replay cache, in the database). An encrypted assertion
//! is decrypted with the connection's key and must be signed itself: its
//! signature is verified the same way (anyone can encrypt to a public
//! certificate); a signature on the response around it is verified too.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider};
use samael::metadata::{
    EncryptionMethod, EntityDescriptor, HTTP_POST_BINDING, HTTP_REDIRECT_BINDING, IndexedEndpoint,
    KeyDescriptor, SpSsoDescriptor,
};
use samael::schema::Assertion;
use samael::service_provider::ServiceProvider;
use samael::traits::ToXml;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Connection;
use super::login::{Failure, Identity, Refusal, Request, refuse};
use crate::auth::keys::hash;
use crate::crypto::SecretBox;
use crate::db::secrets::sso_secret;
use crate::db::sso as rows;
use crate::domain::id::random_secret;
use crate::domain::sso::NameIdFormat;
use crate::error::{Error, Result};
use crate::state::AppState;

/// The Assertion Consumer Service (under the public URL), one for every
/// connection: the assertion's audience tells connections apart.
pub const ACS_PATH: &str = "/sso/saml/acs/";
/// How far apart Tessera's and the IdP's clocks may be.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(2);
/// How old a response or an assertion may be when it arrives.
pub const MAX_ISSUE_DELAY: TimeDelta = TimeDelta::minutes(3);
/// How big an IdP's metadata document may be.
pub const METADATA_MAX: usize = 512 * 1024;
/// How big a SAMLResponse (base64) may be.
pub const RESPONSE_MAX: usize = 512 * 1024;

pub const DEFAULT_ATTRIBUTE_EMAIL: &str = "email";
pub const DEFAULT_ATTRIBUTE_GROUPS: &str = "groups";
/// The attribute a person's display name is read from, when sent.
pub const ATTRIBUTE_NAME: &str = "displayName";

pub const METADATA_INVALID: &str = "Not SAML 2.0 metadata of an identity provider: it needs an EntityDescriptor with an entityID and an IDPSSODescriptor with an HTTP-Redirect SingleSignOnService and at least one signing certificate.";
pub const METADATA_URL_INVALID: &str =
    "The metadata URL must be an https URL (http only on a loopback address, for development).";
pub const METADATA_UNREACHABLE: &str =
    "The metadata could not be fetched (it must answer 200 within 10 seconds, without redirects).";
pub const METADATA_ONE_SOURCE: &str = "Send either idp_metadata_xml or idp_metadata_url, not both.";

/// Signature algorithms accepted from an IdP (SHA-1 is not).
const ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// Key transport Tessera decrypts (RSA PKCS#1 v1.5 is refused: padding oracle).
const KEY_TRANSPORT: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const DATA_ENCRYPTION: [&str; 2] = [
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
];

/// A connection's SAML settings as stored (its private key apart, sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlSettings {
    /// The IdP's entity id, from its metadata.
    pub idp_entity_id: String,
    pub idp_metadata_xml: String,
    /// Where the metadata was fetched from, when it was.
    pub idp_metadata_url: Option<String>,
    pub name_id_format: NameIdFormat,
    pub attribute_email: String,
    pub attribute_groups: String,
    pub sign_requests: bool,
    pub allow_idp_initiated: bool,
    /// Tessera's certificate for this connection (DER, base64): signs
    /// requests, receives encrypted assertions. Its key is the sealed secret.
    pub sp_certificate: String,
}

/// The SAML settings as a client wrote them; `None` leaves a field
/// unchanged. `idp_metadata_xml` is set by the interface when it fetched
/// `idp_metadata_url`.
#[derive(Clone, Debug, Default)]
pub struct SamlInput {
    pub idp_metadata_xml: Option<String>,
    pub idp_metadata_url: Option<String>,
    pub name_id_format: Option<NameIdFormat>,
    pub attribute_email: Option<String>,
    pub attribute_groups: Option<String>,
    pub sign_requests: Option<bool>,
    pub allow_idp_initiated: Option<bool>,
}

/// What Tessera needs from an IdP's metadata.
#[derive(Clone, Debug)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub descriptor: EntityDescriptor,
}

/// Parses and checks an IdP's metadata: one EntityDescriptor with an
/// entityID, an IDPSSODescriptor, an HTTP-Redirect SingleSignOnService at
/// an http(s) URL, and at least one signing certificate that decodes
/// (without one, nothing could be verified: refused).
pub fn parse_idp_metadata(xml: &str) -> std::result::Result<IdpMetadata, &'static str> {
    if xml.len() > METADATA_MAX {
        return Err(METADATA_INVALID);
    }
    let descriptor: EntityDescriptor = xml.parse().map_err(|_| METADATA_INVALID)?;
    let entity_id = descriptor
        .entity_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .ok_or(METADATA_INVALID)?;
    let sp = ServiceProvider {
        idp_metadata: descriptor.clone(),
        ..ServiceProvider::default()
    };
    let sso = sp
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or(METADATA_INVALID)?;
    match url::Url::parse(&sso) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        _ => return Err(METADATA_INVALID),
    }
    match sp.idp_signing_certs() {
        Ok(Some(certs)) if !certs.is_empty() => {}
        _ => return Err(METADATA_INVALID),
    }
    Ok(IdpMetadata {
        entity_id,
        descriptor,
    })
}

/// Checks a metadata URL's form (https, or http on a loopback address).
pub fn parse_metadata_url(raw: &str) -> std::result::Result<String, &'static str> {
    let url = url::Url::parse(raw.trim()).map_err(|_| METADATA_URL_INVALID)?;
    if !super::oidc::https_or_loopback(&url) {
        return Err(METADATA_URL_INVALID);
    }
    Ok(url.to_string())
}

/// Fetches an IdP's metadata (bounded in time and size, no redirects) and
/// checks it.
pub async fn fetch_metadata(url: &str) -> std::result::Result<String, &'static str> {
    let client = super::oidc::http_client();
    let mut reply = client.get(url).send().await.map_err(|e| {
        tracing::info!(url, error = %e, "SAML metadata fetch failed");
        METADATA_UNREACHABLE
    })?;
    if !reply.status().is_success() {
        return Err(METADATA_UNREACHABLE);
    }
    // Read in chunks, so an endless answer stops at the bound.
    let mut bytes = Vec::new();
    while let Some(chunk) = reply.chunk().await.map_err(|_| METADATA_UNREACHABLE)? {
        if bytes.len() + chunk.len() > METADATA_MAX {
            return Err(METADATA_INVALID);
        }
        bytes.extend_from_slice(&chunk);
    }
    let xml = String::from_utf8(bytes).map_err(|_| METADATA_INVALID)?;
    parse_idp_metadata(&xml)?;
    Ok(xml)
}

/// A new service-provider key pair for a connection: RSA 2048 and a
/// self-signed certificate (IdPs pin it from the metadata; no CA is
/// involved). The private key, PKCS#8 PEM, to seal; the certificate, DER
/// in base64.
pub fn generate_key(connection_id: &str) -> Result<(String, String)> {
    let build = || -> std::result::Result<(String, String), openssl::error::ErrorStack> {
        let rsa = Rsa::generate(2048)?;
        let key = PKey::from_rsa(rsa)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("CN", &format!("Tessera SAML SP {connection_id}"))?;
        let name = name.build();
        let mut serial = BigNum::new()?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
        let mut cert = X509::builder()?;
        cert.set_version(2)?;
        let serial = serial.to_asn1_integer()?;
        let not_before = Asn1Time::days_from_now(0)?;
        let not_after = Asn1Time::days_from_now(3650)?;
        cert.set_serial_number(&serial)?;
        cert.set_subject_name(&name)?;
        cert.set_issuer_name(&name)?;
        cert.set_pubkey(&key)?;
        cert.set_not_before(&not_before)?;
        cert.set_not_after(&not_after)?;
        cert.sign(&key, MessageDigest::sha256())?;
        let cert = cert.build();
        let pem = String::from_utf8(key.private_key_to_pem_pkcs8()?).unwrap_or_default();
        Ok((pem, STANDARD.encode(cert.to_der()?)))
    };
    build().map_err(Error::internal)
}

impl SamlSettings {
    /// Settings for a new connection: the input's values, defaults elsewhere.
    pub fn new(
        input: &SamlInput,
        metadata: &IdpMetadata,
        sp_certificate: String,
    ) -> std::result::Result<Self, &'static str> {
        let mut settings = Self {
            idp_entity_id: metadata.entity_id.clone(),
            idp_metadata_xml: String::new(),
            idp_metadata_url: None,
            name_id_format: NameIdFormat::Persistent,
            attribute_email: DEFAULT_ATTRIBUTE_EMAIL.into(),
            attribute_groups: DEFAULT_ATTRIBUTE_GROUPS.into(),
            sign_requests: false,
            allow_idp_initiated: false,
            sp_certificate,
        };
        settings.apply(input)?;
        Ok(settings)
    }

    /// Applies the fields the input sets. New metadata replaces the old
    /// (and its URL: metadata sent inline has none).
    pub fn apply(&mut self, input: &SamlInput) -> std::result::Result<(), &'static str> {
        if let Some(xml) = &input.idp_metadata_xml {
            let metadata = parse_idp_metadata(xml)?;
            self.idp_entity_id = metadata.entity_id;
            self.idp_metadata_xml = xml.clone();
            self.idp_metadata_url = input.idp_metadata_url.clone();
        }
        if let Some(format) = input.name_id_format {
            self.name_id_format = format;
        }
        if let Some(attribute) = &input.attribute_email {
            self.attribute_email = attribute.clone();
        }
        if let Some(attribute) = &input.attribute_groups {
            self.attribute_groups = attribute.clone();
        }
        if let Some(sign) = input.sign_requests {
            self.sign_requests = sign;
        }
        if let Some(allow) = input.allow_idp_initiated {
            self.allow_idp_initiated = allow;
        }
        Ok(())
    }

    fn certificate(&self) -> Option<CertificateDer> {
        STANDARD
            .decode(&self.sp_certificate)
            .ok()
            .map(CertificateDer::from)
    }
}

/// Tessera's entity id for a connection: the URL of its SP metadata.
pub fn entity_id(public_url: &str, connection_id: &str) -> String {
    format!("{public_url}/sso/saml/{connection_id}/metadata/")
}

pub fn acs_url(public_url: &str) -> String {
    format!("{public_url}{ACS_PATH}")
}

/// The connection id an entity id names, when it is one of Tessera's.
fn connection_of_entity_id(public_url: &str, entity_id: &str) -> Option<String> {
    entity_id
        .strip_prefix(&format!("{public_url}/sso/saml/"))?
        .strip_suffix("/metadata/")
        .filter(|id| crate::domain::PublicId::parse(id).is_some())
        .map(str::to_owned)
}

/// Tessera's SP metadata for a connection: entity id, the ACS (HTTP-POST),
/// the NameID format asked for, the certificate to encrypt assertions to,
/// and, when requests are signed, the certificate they are signed with.
pub fn sp_metadata(public_url: &str, connection: &Connection) -> Result<String> {
    let settings = connection.saml()?;
    let certificate = STANDARD.encode(
        settings
            .certificate()
            .ok_or_else(|| Error::internal(anyhow::anyhow!("unreadable SP certificate")))?
            .der_data(),
    );
    let key_info = samael::key_info::KeyInfo {
        id: None,
        x509_data: Some(samael::key_info::X509Data {
            certificates: vec![certificate],
        }),
    };
    let mut key_descriptors = Vec::new();
    if settings.sign_requests {
        key_descriptors.push(KeyDescriptor {
            key_use: Some("signing".into()),
            key_info: key_info.clone(),
            encryption_methods: None,
        });
    }
    key_descriptors.push(KeyDescriptor {
        key_use: Some("encryption".into()),
        key_info,
        encryption_methods: Some(
            DATA_ENCRYPTION
                .iter()
                .chain(std::iter::once(&KEY_TRANSPORT))
                .map(|algorithm| EncryptionMethod {
                    algorithm: (*algorithm).to_owned(),
                })
                .collect(),
        ),
    });
    let descriptor = EntityDescriptor {
        entity_id: Some(entity_id(public_url, &connection.row.id)),
        sp_sso_descriptors: Some(vec![SpSsoDescriptor {
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
            key_descriptors: Some(key_descriptors),
            name_id_formats: Some(vec![settings.name_id_format.urn().to_owned()]),
            authn_requests_signed: Some(settings.sign_requests),
            want_assertions_signed: Some(true),
            assertion_consumer_services: vec![IndexedEndpoint {
                binding: HTTP_POST_BINDING.into(),
                location: acs_url(public_url),
                index: 0,
                is_default: Some(true),
                response_location: None,
            }],
            ..SpSsoDescriptor::default()
        }]),
        ..EntityDescriptor::default()
    };
    descriptor
        .to_string()
        .map_err(|e| Error::internal(anyhow::anyhow!("SP metadata: {e}")))
}

/// The SP metadata of a SAML connection by id, whatever its organization
/// or state (SP metadata is public); 404 otherwise.
pub fn sp_metadata_of(
    conn: &mut crate::db::DbConnection,
    public_url: &str,
    connection_id: &str,
) -> Result<String> {
    let id = crate::domain::PublicId::parse(connection_id).ok_or(Error::NotFound)?;
    let row = rows::find(conn, id.as_str())?.ok_or(Error::NotFound)?;
    if row.protocol != crate::domain::sso::Protocol::Saml.as_str() {
        return Err(Error::NotFound);
    }
    sp_metadata(public_url, &super::with_domains(conn, row)?)
}

fn private_key(secrets: &SecretBox, connection: &Connection) -> Option<PKey<Private>> {
    let sealed = connection.row.secret.as_deref()?;
    let pem = secrets.open(sealed, sso_secret(&connection.row.id)).ok()?;
    PKey::private_key_from_pem(pem.as_bytes()).ok()
}

fn service_provider(
    public_url: &str,
    connection: &Connection,
    settings: &SamlSettings,
    unsolicited: bool,
) -> std::result::Result<ServiceProvider, Failure> {
    let metadata = parse_idp_metadata(&settings.idp_metadata_xml)
        .map_err(|_| Failure::ConnectionUnavailable)?;
    Ok(ServiceProvider {
        entity_id: Some(entity_id(public_url, &connection.row.id)),
        metadata_url: Some(entity_id(public_url, &connection.row.id)),
        acs_url: Some(acs_url(public_url)),
        slo_url: None,
        idp_metadata: metadata.descriptor,
        authn_name_id_format: Some(settings.name_id_format.urn().to_owned()),
        allow_idp_initiated: unsolicited,
        max_issue_delay: MAX_ISSUE_DELAY,
        max_clock_skew: CLOCK_SKEW,
        allowed_signature_algorithms: Some(ALGORITHMS.to_vec()),
        ..ServiceProvider::default()
    })
}

/// The AuthnRequest, as a redirect to the IdP (signed when the connection
/// says so), with a fresh RelayState.
pub(super) fn request(
    state: &AppState,
    connection: &Connection,
) -> std::result::Result<Request, Failure> {
    let settings = connection
        .saml()
        .map_err(|_| Failure::ConnectionUnavailable)?;
    let sp = service_provider(&state.public_url, connection, &settings, false)?;
    let destination = sp
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or(Failure::ConnectionUnavailable)?;
    let mut request = sp
        .make_authentication_request(&destination)
        .map_err(|_| Failure::ConnectionUnavailable)?;
    // An xs:ID (starts with a letter or `_`), unguessable.
    request.id = format!("_{}", random_secret(40));
    let relay_state = random_secret(43);
    let url = if settings.sign_requests {
        let key = private_key(&state.secrets, connection).ok_or(Failure::ConnectionUnavailable)?;
        request.signed_redirect(&relay_state, &key)
    } else {
        request.redirect(&relay_state)
    }
    .map_err(|_| Failure::ConnectionUnavailable)?
    .ok_or(Failure::ConnectionUnavailable)?;
    Ok(Request {
        location: url.to_string(),
        state: relay_state,
        nonce: request.id,
        pkce_verifier: None,
    })
}

fn decode(response: &str) -> std::result::Result<String, Refusal> {
    if response.len() > RESPONSE_MAX {
        return Err(refuse(Failure::InvalidToken, "the response is too large"));
    }
    let compact: String = response.split_ascii_whitespace().collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| refuse(Failure::InvalidToken, "the response is not base64"))?;
    String::from_utf8(bytes).map_err(|_| refuse(Failure::InvalidToken, "the response is not UTF-8"))
}

/// The connection an unsolicited response is for, from the audience of
/// its (not yet verified) assertion: only to choose whose keys and rules
/// verify it; nothing else is read before verification.
pub(super) async fn unsolicited_connection(
    state: &AppState,
    response: &str,
) -> Result<Option<Connection>> {
    let Ok(xml) = decode(response) else {
        return Ok(None);
    };
    let Some(unverified) = outline(&xml) else {
        return Ok(None);
    };
    let audiences: Vec<OutlineRestriction> = unverified
        .assertions
        .into_iter()
        .filter_map(|a| a.conditions)
        .flat_map(|c| c.restrictions)
        .collect();
    let public_url = state.public_url.clone();
    let Some(id) = audiences
        .iter()
        .flat_map(|r| r.audiences.iter())
        .find_map(|a| connection_of_entity_id(&public_url, a.trim()))
    else {
        return Ok(None);
    };
    state
        .db
        .read(move |conn| {
            let Some(row) = rows::find(conn, &id)? else {
                return Ok(None);
            };
            if row.protocol != crate::domain::sso::Protocol::Saml.as_str() {
                return Ok(None);
            }
            super::with_domains(conn, row).map(Some)
        })
        .await
}

/// A response's outline, read leniently before verification, only to
/// choose the path: whether it is signed, and its encrypted assertion.
/// (samael's own `Response` insists on a namespace declaration on the
/// encrypted key's `KeyInfo` that IdPs such as pysaml2 put on an ancestor.)
#[derive(Deserialize)]
struct Outline {
    #[serde(rename = "Signature", default)]
    signature: Option<serde::de::IgnoredAny>,
    #[serde(rename = "EncryptedAssertion", default)]
    encrypted: Vec<Encrypted>,
    /// Every assertion, as written (a wrapped response has several: which
    /// one counts is for the signature to say, not this outline).
    #[serde(rename = "Assertion", default)]
    assertions: Vec<OutlineAssertion>,
}

#[derive(Deserialize)]
struct OutlineAssertion {
    #[serde(rename = "Conditions", default)]
    conditions: Option<OutlineConditions>,
}

#[derive(Deserialize)]
struct OutlineConditions {
    #[serde(rename = "AudienceRestriction", default)]
    restrictions: Vec<OutlineRestriction>,
}

#[derive(Deserialize)]
struct OutlineRestriction {
    #[serde(rename = "Audience", default)]
    audiences: Vec<String>,
}

#[derive(Deserialize)]
struct Encrypted {
    #[serde(rename = "EncryptedData")]
    data: EncryptedData,
    /// An EncryptedKey beside the data (else it is in the data's KeyInfo).
    #[serde(rename = "EncryptedKey", default)]
    keys: Vec<EncryptedKey>,
}

#[derive(Deserialize)]
struct EncryptedData {
    #[serde(rename = "EncryptionMethod")]
    method: Method,
    #[serde(rename = "KeyInfo", default)]
    key_info: Option<EncryptedKeyInfo>,
    #[serde(rename = "CipherData")]
    cipher: CipherData,
}

#[derive(Deserialize)]
struct EncryptedKeyInfo {
    #[serde(rename = "EncryptedKey", default)]
    keys: Vec<EncryptedKey>,
}

#[derive(Deserialize)]
struct EncryptedKey {
    #[serde(rename = "EncryptionMethod")]
    method: Method,
    #[serde(rename = "CipherData")]
    cipher: CipherData,
}

#[derive(Deserialize)]
struct Method {
    #[serde(rename = "@Algorithm")]
    algorithm: String,
}

#[derive(Deserialize)]
struct CipherData {
    #[serde(rename = "CipherValue")]
    value: String,
}

fn outline(xml: &str) -> Option<Outline> {
    samael::metadata::de::from_str(xml).ok()
}

/// Decrypts an encrypted assertion to its XML (still to be verified).
fn decrypt(encrypted: &Encrypted, key: &PKey<Private>) -> std::result::Result<String, Refusal> {
    let invalid = |detail: &str| {
        refuse(
            Failure::InvalidToken,
            format!("encrypted assertion: {detail}"),
        )
    };
    let encrypted_key = encrypted
        .data
        .key_info
        .iter()
        .flat_map(|k| k.keys.iter())
        .chain(encrypted.keys.iter())
        .next()
        .ok_or_else(|| invalid("no key"))?;
    if encrypted_key.method.algorithm != KEY_TRANSPORT {
        return Err(invalid("key transport not accepted"));
    }
    let cipher = |value: &str| samael::schema::CipherValue {
        value: value.to_owned(),
    };
    let session_key = Crypto::decrypt_assertion_key_info(
        &cipher(&encrypted_key.cipher.value),
        KEY_TRANSPORT,
        key,
    )
    .map_err(|_| invalid("the key does not decrypt"))?;
    let method = encrypted.data.method.algorithm.as_str();
    if !DATA_ENCRYPTION.contains(&method) {
        return Err(invalid("data encryption not accepted"));
    }
    let plaintext = Crypto::decrypt_assertion_value_info(
        &cipher(&encrypted.data.cipher.value),
        method,
        &session_key,
    )
    .map_err(|_| invalid("the data does not decrypt"))?;
    // CBC's padding (ISO 10126) is left on by the decryption: cut after
    // the last element.
    let text = String::from_utf8_lossy(&plaintext);
    let start = text.find('<').ok_or_else(|| invalid("no XML"))?;
    let end = text.rfind('>').ok_or_else(|| invalid("no XML"))?;
    Ok(text[start..=end].to_owned())
}

/// Verifies a response and returns its assertion, read only from what a
/// signature covers.
///
/// An encrypted assertion must be signed itself (sign, then encrypt: what
/// Okta and Entra ID do; Keycloak's "Sign assertions"): anyone can encrypt
/// to Tessera's public certificate, so what the decryption gives is
/// verified like a plain assertion. A signature on the response around it
/// is verified too (a tampered envelope is refused).
fn verify(
    sp: &ServiceProvider,
    key: Option<&PKey<Private>>,
    xml: &str,
    request_id: Option<&str>,
) -> std::result::Result<Assertion, Refusal> {
    let invalid = |e: &dyn std::fmt::Display| refuse(Failure::InvalidToken, e.to_string());
    // Without a certificate samael would skip verification: never.
    let certs = match sp.idp_signing_certs() {
        Ok(Some(certs)) if !certs.is_empty() => certs,
        _ => {
            return Err(refuse(
                Failure::ConnectionUnavailable,
                "no IdP signing certificate",
            ));
        }
    };
    let ids: Vec<&str> = request_id.into_iter().collect();
    let possible = request_id.map(|_| ids.as_slice());
    let shape = outline(xml).ok_or_else(|| refuse(Failure::InvalidToken, "not a SAML response"))?;
    let encrypted = match shape.encrypted.as_slice() {
        [] => {
            return sp
                .parse_xml_response(xml, possible)
                .map_err(|e| invalid(&e));
        }
        [one] if shape.assertions.is_empty() => one,
        _ => {
            return Err(refuse(
                Failure::InvalidToken,
                "a response carries one assertion, encrypted or not",
            ));
        }
    };
    if shape.signature.is_some() {
        Crypto::reduce_xml_to_signed_with_allowed_algorithms(
            xml,
            &certs,
            samael::crypto::ReduceMode::ValidateAndMarkNoAncestors,
            Some(&ALGORITHMS),
        )
        .map_err(|_| {
            refuse(
                Failure::InvalidToken,
                "the response's signature is not valid",
            )
        })?;
    }
    let key = key.ok_or_else(|| refuse(Failure::ConnectionUnavailable, "no SP key"))?;
    let assertion_xml = decrypt(encrypted, key)?;
    sp.parse_xml_response(&assertion_xml, possible)
        .map_err(|e| invalid(&format!("encrypted assertion: {e}")))
}

/// When a (verified) assertion can no longer be accepted: its issue
/// instant plus `MAX_ISSUE_DELAY` bounds it (samael refuses older ones),
/// and so do its `NotOnOrAfter`s (with `CLOCK_SKEW`). The replay cache
/// keeps its ID until then.
fn acceptable_until(assertion: &Assertion) -> DateTime<Utc> {
    let mut until = assertion.issue_instant + MAX_ISSUE_DELAY;
    if let Some(t) = assertion
        .conditions
        .as_ref()
        .and_then(|c| c.not_on_or_after)
    {
        until = until.min(t + CLOCK_SKEW);
    }
    let confirmed = assertion
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_ref())
        .filter_map(|d| d.not_on_or_after)
        .max();
    if let Some(t) = confirmed {
        until = until.min(t + CLOCK_SKEW);
    }
    until + CLOCK_SKEW
}

/// The values of the attribute named `name` (by Name, or FriendlyName).
fn attribute(assertion: &Assertion, name: &str) -> Vec<String> {
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
        .filter(|a| a.name.as_deref() == Some(name) || a.friendly_name.as_deref() == Some(name))
        .flat_map(|a| a.values.iter())
        .filter_map(|v| v.value.as_ref())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Validates an IdP's response into an identity: `request_id` is the
/// AuthnRequest's ID, or `None` for an unsolicited response (which the
/// connection must allow).
pub(super) async fn identity(
    state: &AppState,
    connection: &Connection,
    request_id: Option<String>,
    response: &str,
) -> std::result::Result<Identity, Refusal> {
    let settings = connection
        .saml()
        .map_err(|_| refuse(Failure::ConnectionUnavailable, "settings"))?;
    if request_id.is_none() {
        if !settings.allow_idp_initiated {
            return Err(refuse(
                Failure::InvalidState,
                "an unsolicited response (no sign-in under way has its RelayState), and the connection does not allow IdP-initiated sign-in",
            ));
        }
        if !connection.row.active {
            return Err(refuse(
                Failure::ConnectionUnavailable,
                "the connection is inactive",
            ));
        }
    }
    let xml = decode(response)?;
    let sp = service_provider(
        &state.public_url,
        connection,
        &settings,
        request_id.is_none(),
    )
    .map_err(|f| refuse(f, "the IdP metadata cannot be used"))?;
    let key = private_key(&state.secrets, connection);
    let expected_audience = entity_id(&state.public_url, &connection.row.id);
    let unsolicited = request_id.is_none();
    let assertion =
        tokio::task::spawn_blocking(move || verify(&sp, key.as_ref(), &xml, request_id.as_deref()))
            .await
            .map_err(|e| refuse(Failure::ConnectionUnavailable, e.to_string()))??;

    // Past this point the assertion is the verified one.
    if assertion.issue_instant > Utc::now() + CLOCK_SKEW {
        return Err(refuse(
            Failure::InvalidToken,
            "the assertion is issued in the future",
        ));
    }
    let restrictions = assertion
        .conditions
        .as_ref()
        .and_then(|c| c.audience_restrictions.as_ref())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| refuse(Failure::InvalidToken, "the assertion has no audience"))?;
    if !restrictions
        .iter()
        .all(|r| r.audience.contains(&expected_audience))
    {
        return Err(refuse(
            Failure::InvalidToken,
            "the assertion is for another audience",
        ));
    }
    let subject = assertion.subject.as_ref();
    if unsolicited
        && subject
            .iter()
            .flat_map(|s| s.subject_confirmations.iter().flatten())
            .any(|c| {
                c.subject_confirmation_data
                    .as_ref()
                    .is_some_and(|d| d.in_response_to.is_some())
            })
    {
        return Err(refuse(
            Failure::InvalidState,
            "an unsolicited response answers a request (its sign-in is gone: used, expired or another browser's)",
        ));
    }
    let name_id = subject
        .and_then(|s| s.name_id.as_ref())
        .map(|n| (n.format.clone(), n.value.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty() && v.len() <= 255)
        .ok_or_else(|| refuse(Failure::InvalidToken, "the assertion has no usable NameID"))?;

    // The replay cache: an assertion is used once, on any replica.
    let id_hash = hash(&format!("{}\n{}", connection.row.id, assertion.id));
    let expires = {
        use chrono::SubsecRound;
        acceptable_until(&assertion).naive_utc().trunc_subsecs(6)
    };
    let connection_id = connection.row.id.clone();
    let first = state
        .db
        .write(move |conn| {
            Ok(rows::use_assertion(
                conn,
                &id_hash,
                &connection_id,
                expires,
            )?)
        })
        .await
        .map_err(|e| refuse(Failure::ConnectionUnavailable, e.to_string()))?;
    if !first {
        return Err(refuse(
            Failure::InvalidToken,
            "the assertion was already used",
        ));
    }

    let email = attribute(&assertion, &settings.attribute_email)
        .into_iter()
        .next()
        .or_else(|| {
            (name_id.0.as_deref() == Some(NameIdFormat::EmailAddress.urn()))
                .then(|| name_id.1.clone())
        });
    let acr = assertion
        .authn_statements
        .iter()
        .flatten()
        .filter_map(|s| s.authn_context.as_ref())
        .filter_map(|c| c.value.as_ref())
        .find_map(|v| v.value.clone());
    Ok(Identity {
        subject: name_id.1,
        email,
        // SAML has no such flag: the IdP vouches for what it asserts, and
        // only emails of the connection's domains are matched.
        email_verified: true,
        name: attribute(&assertion, ATTRIBUTE_NAME).into_iter().next(),
        groups: attribute(&assertion, &settings.attribute_groups),
        amr: None,
        acr: acr.map(Into::into),
    })
}

/// A short digest of the IdP's metadata, for the audit trail (the document
/// itself is long).
pub fn metadata_digest(xml: &str) -> String {
    Sha256::digest(xml.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_ids_name_their_connection() {
        let public = "https://tessera.example";
        let id = entity_id(public, "AbCdEfGh1234");
        assert_eq!(
            id,
            "https://tessera.example/sso/saml/AbCdEfGh1234/metadata/"
        );
        assert_eq!(
            connection_of_entity_id(public, &id).as_deref(),
            Some("AbCdEfGh1234")
        );
        assert_eq!(connection_of_entity_id("https://other.example", &id), None);
        assert_eq!(
            connection_of_entity_id(public, "https://tessera.example/sso/saml/x/metadata/"),
            None
        );
    }

    #[test]
    fn metadata_without_a_signing_certificate_is_refused() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#;
        assert_eq!(parse_idp_metadata(xml).unwrap_err(), METADATA_INVALID);
        assert_eq!(parse_idp_metadata("<x/>").unwrap_err(), METADATA_INVALID);
    }

    #[test]
    fn a_generated_key_signs_and_its_certificate_decodes() {
        let (pem, cert) = generate_key("AbCdEfGh1234").unwrap();
        let key = PKey::private_key_from_pem(pem.as_bytes()).unwrap();
        assert_eq!(key.bits(), 2048);
        let cert = X509::from_der(&STANDARD.decode(cert).unwrap()).unwrap();
        assert!(cert.public_key().unwrap().public_eq(&key));
    }

    #[test]
    fn metadata_urls_are_https_or_local_http() {
        assert!(parse_metadata_url("https://idp.example/metadata").is_ok());
        assert!(parse_metadata_url("http://127.0.0.1:8080/metadata").is_ok());
        assert!(parse_metadata_url("http://idp.example/metadata").is_err());
        assert!(parse_metadata_url("file:///etc/passwd").is_err());
    }
}
