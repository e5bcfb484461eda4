//! Public identifiers: 12 Base58 characters (bitcoin alphabet) from a CSPRNG.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
pub const ID_LEN: usize = 12;

/// A 12-character Base58 identifier, as every object of the API has.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PublicId(String);

impl PublicId {
    /// A fresh random id (58^12 ≈ 2^70 possibilities, from the OS CSPRNG).
    pub fn random() -> Self {
        let mut rng = rand::rngs::OsRng;
        let id = (0..ID_LEN)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        Self(id)
    }

    /// `None` when `raw` is not exactly 12 Base58 characters: such an id can
    /// name nothing, so callers answer "not found".
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == ID_LEN && bs58::decode(raw).into_vec().is_ok()).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random secret of `len` Base58 characters (keys, generated passwords).
pub fn random_secret(len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let a = PublicId::random();
        let b = PublicId::random();
        assert_eq!(a.as_str().len(), ID_LEN);
        assert!(PublicId::parse(a.as_str()).is_some());
        assert_ne!(a, b);
    }

    #[test]
    fn rejects_wrong_length_and_alphabet() {
        assert!(PublicId::parse("").is_none());
        assert!(PublicId::parse("abc").is_none());
        assert!(PublicId::parse("1234567890ab").is_none(), "0 is not Base58");
        assert!(PublicId::parse("IIIIIIIIIIII").is_none(), "I is not Base58");
        assert!(PublicId::parse("llllllllllll").is_none(), "l is not Base58");
        assert!(PublicId::parse("123456789ABCD").is_none(), "13 characters");
        assert!(PublicId::parse("12345678éABC").is_none());
        assert!(PublicId::parse("123456789ABC").is_some());
    }
}
