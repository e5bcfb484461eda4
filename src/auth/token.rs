//! JSON Web Tokens, signed with asymmetric keys (EdDSA by default, RS256 as
//! an option) that other services verify through the published JWKS. A
//! token names its user, organization and the user's token version: a
//! password change or deactivation bumps the version, so every earlier token
//! stops working at once. It also names its refresh family (the login it
//! descends from through `/auth/refresh/`), so that revoking one token ends
//! every token refreshed from the same login.
//!
//! The keys live in the database (`service::signing_keys`); `TokenKeys`
//! holds the published ones in memory, reloaded now and then and whenever a
//! token names a key it does not know (another replica's rotation). HS256
//! tokens issued under the shared secret before asymmetric keys existed are
//! accepted until they expire, and never issued.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::verified::VerifiedTokens;
use crate::db::models::UserRow;
use crate::domain::id::random_secret;
use crate::domain::token::TokenAlgorithm;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The issuer (`TESSERA_PUBLIC_URL`); absent from HS256 tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience (`TESSERA_TOKEN_AUDIENCE`); absent from HS256 tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The user's id.
    pub sub: String,
    /// The user's organization id.
    pub org: String,
    /// Unique token id (for revocation).
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's token version when the token was issued.
    pub ver: i32,
    /// The refresh family: the `jti` of the login token this one was
    /// refreshed from (its own for a login token). Tokens issued before
    /// families existed have none; `family` treats their `jti` as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

impl Claims {
    /// The refresh family this token belongs to.
    pub fn family(&self) -> &str {
        self.fam.as_deref().unwrap_or(&self.jti)
    }
}

/// A new key pair: the private key (DER: PKCS#8 for Ed25519, PKCS#1 for
/// RSA) and the public key as a JWK (without `kid`).
pub struct GeneratedKey {
    pub private_der: Zeroizing<Vec<u8>>,
    pub public_jwk: Value,
}

/// RSA modulus size of generated RS256 keys.
const RSA_BITS: usize = 2048;

/// Generates a key pair for `algorithm` from the OS CSPRNG: Ed25519 with
/// ring (the library jsonwebtoken signs with), RSA with the `rsa` crate
/// (ring cannot generate RSA keys; it only signs with them).
pub fn generate(algorithm: TokenAlgorithm) -> anyhow::Result<GeneratedKey> {
    match algorithm {
        TokenAlgorithm::EdDSA => {
            use ring::signature::KeyPair;
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| anyhow::anyhow!("cannot read the generated Ed25519 key"))?;
            let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            Ok(GeneratedKey {
                private_der: Zeroizing::new(pkcs8.as_ref().to_vec()),
                public_jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
            })
        }
        TokenAlgorithm::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)?;
            let der = key.to_pkcs1_der()?;
            let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
            let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
            Ok(GeneratedKey {
                private_der: Zeroizing::new(der.as_bytes().to_vec()),
                public_jwk: json!({"kty": "RSA", "n": n, "e": e}),
            })
        }
    }
}

/// The public JWK of a key as published: its key material with `kid`,
/// `alg` and `use`.
pub fn published_jwk(kid: &str, algorithm: TokenAlgorithm, public_jwk: &Value) -> Value {
    let mut jwk = public_jwk.clone();
    if let Some(fields) = jwk.as_object_mut() {
        fields.insert("kid".into(), kid.into());
        fields.insert("alg".into(), algorithm.as_str().into());
        fields.insert("use".into(), "sig".into());
    }
    jwk
}

/// One published key, ready to sign and verify.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Unix time from which it signs.
    signs_from: i64,
}

impl SigningKey {
    /// A key from its stored parts.
    pub fn new(
        kid: &str,
        algorithm: TokenAlgorithm,
        private_der: &[u8],
        public_jwk: &Value,
        signs_from: i64,
    ) -> anyhow::Result<Self> {
        let part = |name: &str| {
            public_jwk[name]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("signing key {kid}: its JWK has no {name}"))
        };
        let (algorithm, encoding, decoding) = match algorithm {
            TokenAlgorithm::EdDSA => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_der(private_der),
                DecodingKey::from_ed_components(part("x")?)?,
            ),
            TokenAlgorithm::Rs256 => (
                Algorithm::RS256,
                EncodingKey::from_rsa_der(private_der),
                DecodingKey::from_rsa_components(part("n")?, part("e")?)?,
            ),
        };
        Ok(Self {
            kid: kid.to_owned(),
            algorithm,
            encoding,
            decoding,
            signs_from,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// The shared-secret (HS256) verification of tokens issued before
/// asymmetric keys: only tokens issued before `issued_before`, and only
/// until `until` (when the last of them has expired).
struct Legacy {
    decoding: DecodingKey,
    issued_before: i64,
    until: i64,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Malformed, badly signed, expired, for another audience or issuer.
    Invalid,
    /// Signed by a key this replica has not loaded (yet): reload and retry.
    UnknownKey,
}

/// On-demand reloads (for an unknown `kid`) happen at most this often, so
/// tokens naming made-up keys cannot turn into a query each.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct TokenKeys {
    keys: Arc<RwLock<Arc<Vec<SigningKey>>>>,
    legacy: Option<Arc<Legacy>>,
    last_reload: Arc<Mutex<Option<Instant>>>,
    issuer: String,
    audience: String,
    ttl: Duration,
    /// Tokens whose signature already verified (see `auth::verified`).
    verified: Arc<VerifiedTokens>,
}

impl TokenKeys {
    pub fn new(issuer: &str, audience: &str, ttl: Duration) -> Self {
        Self {
            keys: Arc::default(),
            legacy: None,
            last_reload: Arc::default(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
            verified: Arc::default(),
        }
    }

    /// Also accepts HS256 tokens signed with `secret`, issued before
    /// `issued_before` (unix time), until `until`.
    pub fn with_legacy(mut self, secret: &[u8], issued_before: i64, until: i64) -> Self {
        self.legacy = Some(Arc::new(Legacy {
            decoding: DecodingKey::from_secret(secret),
            issued_before,
            until,
        }));
        self
    }

    /// Replaces the published keys.
    pub fn replace(&self, keys: Vec<SigningKey>) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
    }

    fn current(&self) -> Arc<Vec<SigningKey>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether an on-demand reload may run now (and, if so, marks it as run).
    pub fn may_reload(&self) -> bool {
        let mut last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < RELOAD_AT_MOST_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// How long a token is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// A token that starts a refresh family of its own (a login).
    pub fn issue(&self, user: &UserRow) -> String {
        self.issue_in(user, None)
    }

    /// A token refreshed from `from`: a member of the same family.
    pub fn refresh(&self, user: &UserRow, from: &Claims) -> String {
        self.issue_in(user, Some(from.family()))
    }

    /// The key that signs at `now`: the one with the latest `signs_from`
    /// not after it (a newer one is published but waits for its grace period).
    fn signer(keys: &[SigningKey], now: i64) -> Option<&SigningKey> {
        keys.iter()
            .filter(|k| k.signs_from <= now)
            .max_by_key(|k| k.signs_from)
            .or_else(|| keys.iter().min_by_key(|k| k.signs_from))
    }

    fn issue_in(&self, user: &UserRow, family: Option<&str>) -> String {
        let now = Utc::now().timestamp();
        let jti = random_secret(16);
        let claims = Claims {
            iss: Some(self.issuer.clone()),
            aud: Some(self.audience.clone()),
            sub: user.id.clone(),
            org: user.organization_id.clone(),
            fam: Some(family.unwrap_or(&jti).to_owned()),
            jti,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            ver: user.token_version,
        };
        let keys = self.current();
        let key = Self::signer(&keys, now).expect("a signing key is loaded at start-up");
        let mut header = Header::new(key.algorithm);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .expect("signing plain claims with a loaded key cannot fail")
    }

    /// The claims of a well-formed, correctly signed, unexpired token for
    /// this issuer and audience (or an HS256 token of before, see `Legacy`).
    /// `alg: none`, symmetric algorithms other than the legacy one and keys
    /// of another algorithm are refused.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejected> {
        let keys = self.current();
        let now = Utc::now().timestamp();
        if let Some(claims) = self
            .verified
            .get(token, now, |kid| keys.iter().any(|k| k.kid == kid))
        {
            return Ok(claims);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Invalid)?;
        if header.alg == Algorithm::HS256 {
            return self.verify_legacy(token);
        }
        let kid = header.kid.as_deref().ok_or(Rejected::Invalid)?;
        let Some(key) = keys.iter().find(|k| k.kid == kid) else {
            // Ids are 12 characters: anything else names no key of ours.
            return Err(if kid.len() == crate::domain::id::ID_LEN {
                Rejected::UnknownKey
            } else {
                Rejected::Invalid
            });
        };
        if header.alg != key.algorithm {
            return Err(Rejected::Invalid);
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|_| Rejected::Invalid)?
            .claims;
        self.verified.insert(token, kid, &claims, now);
        Ok(claims)
    }

    fn verify_legacy(&self, token: &str) -> Result<Claims, Rejected> {
        let legacy = self.legacy.as_ref().ok_or(Rejected::Invalid)?;
        if Utc::now().timestamp() >= legacy.until {
            return Err(Rejected::Invalid);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &legacy.decoding, &validation)
            .map_err(|_| Rejected::Invalid)?
            .claims;
        if claims.iat >= legacy.issued_before {
            return Err(Rejected::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_segment(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn user() -> UserRow {
        let t = crate::domain::time::now();
        UserRow {
            id: "123456789ABC".into(),
            organization_id: "OrgOrgOrgOrg".into(),
            email: "a@example.com".into(),
            name: "A".into(),
            title: crate::domain::user::Title::None,
            active: true,
            is_apiuser: false,
            is_system: false,
            password_hash: None,
            token_version: 3,
            mfa_enabled: false,
            mfa_secret: None,
            last_login: None,
            source: crate::domain::user::Source::Manual,
            kind: None,
            position: None,
            additional_email_addresses: "[]".into(),
            contract_start_date: None,
            contract_end_date: None,
            created: t,
            changed: t,
            changed_by_id: "x".into(),
            changed_by_email: "x".into(),
            changed_by_name: "x".into(),
            external_id: None,
            scim_profile: None,
            scim_user_name: None,
        }
    }

    fn key(kid: &str, algorithm: TokenAlgorithm, signs_from: i64) -> SigningKey {
        let generated = generate(algorithm).unwrap();
        SigningKey::new(
            kid,
            algorithm,
            &generated.private_der,
            &generated.public_jwk,
            signs_from,
        )
        .unwrap()
    }

    fn keys_with(signing: Vec<SigningKey>, ttl: u64) -> TokenKeys {
        let keys = TokenKeys::new(
            "https://id.example.com",
            "tessera",
            Duration::from_secs(ttl),
        );
        keys.replace(signing);
        keys
    }

    fn header(token: &str) -> Value {
        let part = token.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn issued_tokens_verify_with_the_same_key_only() {
        for algorithm in TokenAlgorithm::ALL {
            let keys = keys_with(vec![key("KeyKeyKeyKe1", algorithm, 0)], 60);
            let token = keys.issue(&user());
            assert_eq!(header(&token)["alg"], algorithm.as_str());
            assert_eq!(header(&token)["kid"], "KeyKeyKeyKe1");
            let claims = keys.verify(&token).unwrap();
            assert_eq!(
                (claims.sub.as_str(), claims.org.as_str(), claims.ver),
                ("123456789ABC", "OrgOrgOrgOrg", 3)
            );
            assert_eq!(claims.iss.as_deref(), Some("https://id.example.com"));
            assert_eq!(claims.aud.as_deref(), Some("tessera"));
            // Another key under the same id does not verify it.
            let other = keys_with(vec![key("KeyKeyKeyKe1", algorithm, 0)], 60);
            assert_eq!(other.verify(&token), Err(Rejected::Invalid));
            // A key it does not know is worth a reload.
            let unknown = keys_with(vec![key("KeyKeyKeyKe2", algorithm, 0)], 60);
            assert_eq!(unknown.verify(&token), Err(Rejected::UnknownKey));
            assert_eq!(keys.verify("garbage"), Err(Rejected::Invalid));
        }
    }

    #[test]
    fn another_audience_or_issuer_is_refused() {
        let signing = key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0);
        let keys = keys_with(vec![signing.clone()], 60);
        let token = keys.issue(&user());
        let elsewhere =
            TokenKeys::new("https://id.example.com", "billing", Duration::from_secs(60));
        elsewhere.replace(vec![signing.clone()]);
        assert_eq!(elsewhere.verify(&token), Err(Rejected::Invalid));
        let other_issuer =
            TokenKeys::new("https://evil.example", "tessera", Duration::from_secs(60));
        other_issuer.replace(vec![signing]);
        assert_eq!(other_issuer.verify(&token), Err(Rejected::Invalid));
    }

    #[test]
    fn the_newest_key_whose_grace_period_ended_signs() {
        let now = Utc::now().timestamp();
        let keys = keys_with(
            vec![
                key("OldOldOldOld", TokenAlgorithm::EdDSA, now - 100),
                key("NextNextNext", TokenAlgorithm::EdDSA, now + 100),
            ],
            60,
        );
        let token = keys.issue(&user());
        assert_eq!(header(&token)["kid"], "OldOldOldOld");
        keys.replace(vec![
            key("OldOldOldOld", TokenAlgorithm::EdDSA, now - 100),
            key("NowNowNowNow", TokenAlgorithm::EdDSA, now - 1),
        ]);
        assert_eq!(header(&keys.issue(&user()))["kid"], "NowNowNowNow");
    }

    #[test]
    fn a_refreshed_token_stays_in_its_logins_family() {
        let keys = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 60);
        let login = keys.verify(&keys.issue(&user())).unwrap();
        assert_eq!(login.fam.as_deref(), Some(login.jti.as_str()));
        let once = keys.verify(&keys.refresh(&user(), &login)).unwrap();
        let twice = keys.verify(&keys.refresh(&user(), &once)).unwrap();
        assert_ne!(once.jti, login.jti);
        assert_eq!(
            (once.family(), twice.family()),
            (login.jti.as_str(), login.jti.as_str())
        );
        let other = keys.verify(&keys.issue(&user())).unwrap();
        assert_ne!(other.family(), login.family());
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn legacy_token(iat: i64) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "123456789ABC", "org": "OrgOrgOrgOrg", "jti": "old",
                    "iat": iat, "exp": iat + 3600, "ver": 3}),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    #[test]
    fn hs256_tokens_of_before_work_until_they_expire_then_never() {
        let now = Utc::now().timestamp();
        let keys = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 3600)
            .with_legacy(SECRET, now - 10, now + 3600);
        let claims = keys.verify(&legacy_token(now - 20)).unwrap();
        assert_eq!(claims.fam, None);
        assert_eq!(claims.family(), "old");
        // Refreshing it issues an asymmetric token of the same family.
        let refreshed = keys.refresh(&user(), &claims);
        assert_eq!(header(&refreshed)["alg"], "EdDSA");
        assert_eq!(keys.verify(&refreshed).unwrap().family(), "old");
        // One issued after the switch is forged: no HS256 token is issued any more.
        assert_eq!(keys.verify(&legacy_token(now - 5)), Err(Rejected::Invalid));
        // After the last one expired, HS256 is gone.
        let over = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 3600)
            .with_legacy(SECRET, now - 10, now);
        assert_eq!(over.verify(&legacy_token(now - 20)), Err(Rejected::Invalid));
        // And without the secret, there is none.
        let none = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 3600);
        assert_eq!(none.verify(&legacy_token(now - 20)), Err(Rejected::Invalid));
    }

    #[test]
    fn alg_none_confusion_and_expired_tokens_are_rejected() {
        let keys = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 60);
        let payload = encode_segment(
            format!(
                r#"{{"iss":"https://id.example.com","aud":"tessera","sub":"123456789ABC","org":"OrgOrgOrgOrg","jti":"x","iat":0,"exp":{},"ver":3}}"#,
                i64::MAX / 2
            )
            .as_bytes(),
        );
        let none = encode_segment(br#"{"alg":"none","kid":"KeyKeyKeyKe1"}"#);
        assert_eq!(
            keys.verify(&format!("{none}.{payload}.")),
            Err(Rejected::Invalid)
        );
        // An RS256 header naming an EdDSA key is refused before any check.
        let token = keys.issue(&user());
        let signature = token.split('.').nth(2).unwrap();
        let rs = encode_segment(br#"{"alg":"RS256","kid":"KeyKeyKeyKe1"}"#);
        assert_eq!(
            keys.verify(&format!("{rs}.{payload}.{signature}")),
            Err(Rejected::Invalid)
        );
        let expired = keys_with(vec![key("KeyKeyKeyKe1", TokenAlgorithm::EdDSA, 0)], 0);
        let token = expired.issue(&user());
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(expired.verify(&token), Err(Rejected::Invalid));
    }
}
