//! JSON Web Tokens (HS256). A token names its user, organization and the
//! user's token version: a password change or deactivation bumps the version,
//! so every earlier token stops working at once. It also names its refresh
//! family (the login it descends from through `/auth/refresh/`), so that
//! revoking one token ends every token refreshed from the same login.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::models::UserRow;
use crate::domain::id::random_secret;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
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

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// How long a token is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token that starts a refresh family of its own (a login).
    pub fn issue(&self, user: &UserRow) -> String {
        self.issue_in(user, None)
    }

    /// A token refreshed from `from`: a member of the same family.
    pub fn refresh(&self, user: &UserRow, from: &Claims) -> String {
        self.issue_in(user, Some(from.family()))
    }

    fn issue_in(&self, user: &UserRow, family: Option<&str>) -> String {
        let now = Utc::now().timestamp();
        let jti = random_secret(16);
        let claims = Claims {
            sub: user.id.clone(),
            org: user.organization_id.clone(),
            fam: Some(family.unwrap_or(&jti).to_owned()),
            jti,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            ver: user.token_version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// The claims of a well-formed, correctly signed, unexpired token; `None`
    /// for anything else (including `alg: none` and other algorithms).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn encode_segment(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
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
        }
    }

    #[test]
    fn issued_tokens_verify_with_the_same_key_only() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let token = keys.issue(&user());
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.org.as_str(), claims.ver),
            ("123456789ABC", "OrgOrgOrgOrg", 3)
        );
        let other = TokenKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&token).is_none());
        assert!(keys.verify("garbage").is_none());
    }

    #[test]
    fn a_refreshed_token_stays_in_its_logins_family() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
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

    #[test]
    fn a_token_without_a_family_is_its_own() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let legacy = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "123456789ABC", "org": "OrgOrgOrgOrg", "jti": "old",
                                "iat": 0, "exp": i64::MAX / 2, "ver": 3}),
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        let claims = keys.verify(&legacy).unwrap();
        assert_eq!(claims.fam, None);
        assert_eq!(claims.family(), "old");
        let refreshed = keys.verify(&keys.refresh(&user(), &claims)).unwrap();
        assert_eq!(refreshed.family(), "old");
    }

    #[test]
    fn alg_none_and_expired_tokens_are_rejected() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let header = encode_segment(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = encode_segment(
            format!(r#"{{"sub":"123456789ABC","org":"OrgOrgOrgOrg","jti":"x","iat":0,"exp":{},"ver":3}}"#, i64::MAX / 2)
                .as_bytes(),
        );
        assert!(keys.verify(&format!("{header}.{payload}.")).is_none());
        let expired = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(0));
        let token = expired.issue(&user());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(keys.verify(&token).is_none());
    }
}
