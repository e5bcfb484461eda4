//! How access tokens are signed, and what an API key may be named.

use std::fmt;
use std::str::FromStr;

/// The longest name of an API key.
pub const KEY_NAME_MAX: usize = 100;

/// An API key's name: trimmed, 1 to 100 characters.
pub fn parse_key_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        Err(super::user::BLANK.to_owned())
    } else if name.chars().count() > KEY_NAME_MAX {
        Err(super::user::too_long(KEY_NAME_MAX))
    } else {
        Ok(name.to_owned())
    }
}

/// The algorithm of a token-signing key (`TESSERA_TOKEN_ALG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TokenAlgorithm {
    /// Ed25519 signatures (RFC 8037), the default: small keys, fast.
    #[default]
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256 over a 2048-bit key, for verifiers
    /// that know no EdDSA.
    Rs256,
}

impl TokenAlgorithm {
    pub const ALL: [TokenAlgorithm; 2] = [TokenAlgorithm::EdDSA, TokenAlgorithm::Rs256];

    /// The JOSE name (`alg`), which is also how it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAlgorithm::EdDSA => "EdDSA",
            TokenAlgorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for TokenAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenAlgorithm {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| format!("expected EdDSA or RS256, not {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_parse_by_their_jose_name() {
        assert_eq!("EdDSA".parse(), Ok(TokenAlgorithm::EdDSA));
        assert_eq!("rs256".parse(), Ok(TokenAlgorithm::Rs256));
        assert!("HS256".parse::<TokenAlgorithm>().is_err());
        for a in TokenAlgorithm::ALL {
            assert_eq!(a.as_str().parse(), Ok(a));
        }
    }
}
