//! Session tokens whose signature this process has already checked.
//!
//! Verifying an Ed25519 signature costs about 570 k instructions, more than
//! half of an authenticated `GET /users/{id}/` (callgrind, see
//! docs/PERFORMANCE.md); a client sends the same token with every request
//! until it expires. A token is a fixed string: once its signature verified
//! under one of our keys, it verifies again, so the claims it carries can
//! be remembered by the token's SHA-256. What can change is checked on
//! every use all the same: the expiry (here), the signing key still being
//! ours (here), and the holder, its token version and revocations (the
//! database read that follows every verification).
//!
//! Memory is bounded: at most `CAPACITY` tokens, expired ones dropped first,
//! and when every remembered token is still live the memo starts over.

use std::collections::HashMap;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::token::Claims;

/// Most tokens remembered at once (each under half a kilobyte).
pub const CAPACITY: usize = 4096;

struct Verified {
    /// The key that signed it: the token stands only while the key does.
    kid: String,
    claims: Claims,
}

#[derive(Default)]
pub struct VerifiedTokens {
    tokens: RwLock<HashMap<[u8; 32], Verified>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// The claims of `token` if its signature was verified before under a
    /// key `is_ours` still accepts, and it has not expired at `now` (unix
    /// seconds; a token is valid through its `exp` second, as jsonwebtoken
    /// judges it with no leeway).
    pub fn get(&self, token: &str, now: i64, is_ours: impl Fn(&str) -> bool) -> Option<Claims> {
        let key = digest(token);
        let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        let found = tokens.get(&key)?;
        (found.claims.exp >= now && is_ours(&found.kid)).then(|| found.claims.clone())
    }

    /// Remembers that `token`, signed with `kid`, verified to `claims`.
    pub fn insert(&self, token: &str, kid: &str, claims: &Claims, now: i64) {
        let key = digest(token);
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= CAPACITY && !tokens.contains_key(&key) {
            tokens.retain(|_, v| v.claims.exp >= now);
            if tokens.len() >= CAPACITY {
                tokens.clear();
            }
        }
        tokens.insert(
            key,
            Verified {
                kid: kid.to_owned(),
                claims: claims.clone(),
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tokens.read().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(jti: &str, exp: i64) -> Claims {
        Claims {
            iss: Some("https://tessera.test".into()),
            aud: Some("tessera".into()),
            sub: "user".into(),
            org: "org".into(),
            jti: jti.into(),
            iat: 0,
            exp,
            ver: 1,
            fam: None,
        }
    }

    #[test]
    fn remembers_a_token_until_its_expiry_second() {
        let memo = VerifiedTokens::default();
        memo.insert("a.b.c", "key1", &claims("t1", 100), 50);
        assert_eq!(memo.get("a.b.c", 100, |_| true), Some(claims("t1", 100)));
        assert_eq!(memo.get("a.b.c", 101, |_| true), None, "expired");
        assert_eq!(memo.get("a.b.d", 50, |_| true), None, "another token");
    }

    #[test]
    fn forgets_a_token_whose_key_is_retired() {
        let memo = VerifiedTokens::default();
        memo.insert("a.b.c", "key1", &claims("t1", 100), 50);
        assert_eq!(memo.get("a.b.c", 60, |kid| kid == "key2"), None);
        assert!(memo.get("a.b.c", 60, |kid| kid == "key1").is_some());
    }

    #[test]
    fn stays_within_its_capacity() {
        let memo = VerifiedTokens::default();
        // Half of them expired by the time the memo is full: those go first.
        for i in 0..CAPACITY {
            let exp = if i % 2 == 0 { 10 } else { 1000 };
            memo.insert(&format!("token{i}"), "k", &claims("t", exp), 0);
        }
        assert_eq!(memo.len(), CAPACITY);
        memo.insert("one more", "k", &claims("t", 1000), 20);
        assert_eq!(memo.len(), CAPACITY / 2 + 1);
        assert!(
            memo.get("token1", 20, |_| true).is_some(),
            "live tokens kept"
        );
        // All live: the memo starts over rather than grow.
        for i in 0..CAPACITY {
            memo.insert(&format!("live{i}"), "k", &claims("t", 1000), 20);
        }
        assert!(memo.len() <= CAPACITY);
    }
}
