//! API key secrets: `tsk_<prefix>_<secret>`. The prefix finds the key; only
//! the SHA-256 of the whole key is stored, compared in constant time. Keys
//! carry ~187 bits of randomness, so a fast hash is safe (no dictionary to try).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::id::random_secret;

pub const SCHEME: &str = "tsk_";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 32;

/// A newly generated key: the secret (shown once), its prefix and hash.
pub struct NewKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

pub fn generate() -> NewKey {
    let prefix = format!("{SCHEME}{}", random_secret(PREFIX_LEN));
    let secret = format!("{prefix}_{}", random_secret(SECRET_LEN));
    NewKey {
        hash: hash(&secret),
        prefix,
        secret,
    }
}

pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The prefix of something shaped like a key, `None` otherwise.
pub fn prefix_of(credential: &str) -> Option<&str> {
    let (prefix, secret) = credential.split_at_checked(SCHEME.len() + PREFIX_LEN)?;
    (prefix.starts_with(SCHEME) && secret.len() == SECRET_LEN + 1 && secret.starts_with('_'))
        .then_some(prefix)
}

pub fn matches(credential: &str, stored_hash: &str) -> bool {
    hash(credential)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_verify_and_others_do_not() {
        let key = generate();
        assert_eq!(prefix_of(&key.secret), Some(key.prefix.as_str()));
        assert!(matches(&key.secret, &key.hash));
        // Another last character (never the same one: that would be the key).
        let mut forged = key.secret.clone();
        let last = forged.pop();
        forged.push(if last == Some('x') { 'y' } else { 'x' });
        assert!(!matches(&forged, &key.hash));
        assert_eq!(prefix_of("eyJhbGciOi.x.y"), None);
        assert_eq!(prefix_of("tsk_short"), None);
    }
}
