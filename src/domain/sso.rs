//! Single sign-on connections: the protocol a connection speaks, whether it
//! is required, and the email domains it answers for (home-realm discovery).

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::Serialize;
use utoipa::ToSchema;

use super::user::not_a_choice;

/// The protocol of a connection. Each has its own settings object beside
/// the fields every connection shares (`oidc` or `saml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Oidc,
    Saml,
}

impl Protocol {
    pub const ALL: [Protocol; 2] = [Protocol::Oidc, Protocol::Saml];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Oidc => "oidc",
            Protocol::Saml => "saml",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| not_a_choice(raw))
    }
}

/// The NameID format a SAML connection asks its identity provider for.
/// The NameID is the person's subject (their account's external id), so
/// it must be stable: `transient` is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameIdFormat {
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`
    Persistent,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`
    EmailAddress,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`
    Unspecified,
}

impl NameIdFormat {
    pub const ALL: [NameIdFormat; 3] = [
        NameIdFormat::Persistent,
        NameIdFormat::EmailAddress,
        NameIdFormat::Unspecified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NameIdFormat::Persistent => "persistent",
            NameIdFormat::EmailAddress => "email_address",
            NameIdFormat::Unspecified => "unspecified",
        }
    }

    pub fn urn(self) -> &'static str {
        match self {
            NameIdFormat::Persistent => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            NameIdFormat::EmailAddress => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            NameIdFormat::Unspecified => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| not_a_choice(raw))
    }
}

/// Whether the people of a connection's domains may still sign in with a
/// password (`optional`) or must use the connection (`required`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    Optional,
    Required,
}

impl Enforcement {
    pub const ALL: [Enforcement; 2] = [Enforcement::Optional, Enforcement::Required];

    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Optional => "optional",
            Enforcement::Required => "required",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == raw)
            .ok_or_else(|| not_a_choice(raw))
    }
}

pub const DOMAIN_INVALID: &str = "Enter a valid domain name.";

/// An email domain, lowercase and IDNA-encoded (`bücher.example` is stored
/// as `xn--bcher-kva.example`), so it compares equal to the domain part of
/// an `Email`, which is encoded the same way.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EmailDomain(String);

impl EmailDomain {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().trim_end_matches('.');
        if value.is_empty() || value.len() > 253 || !value.contains('.') || value.contains('@') {
            return Err(DOMAIN_INVALID.into());
        }
        let ascii = Uts46::new()
            .to_ascii(
                value.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::CheckFirstLast,
                DnsLength::Verify,
            )
            .map_err(|_| DOMAIN_INVALID.to_owned())?;
        Ok(Self(ascii.to_ascii_lowercase()))
    }

    /// The domain of an already parsed email (`Email` encodes it alike).
    pub fn of_email(email: &str) -> Option<Self> {
        email
            .rsplit_once('@')
            .map(|(_, domain)| Self(domain.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lowercase_and_idna_encoded() {
        assert_eq!(
            EmailDomain::parse(" Corp.Example. ").unwrap().as_str(),
            "corp.example"
        );
        assert_eq!(
            EmailDomain::parse("Bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        for bad in ["", "localhost", "a@b.example", "-x.example", "x y.example"] {
            assert_eq!(
                EmailDomain::parse(bad).unwrap_err(),
                DOMAIN_INVALID,
                "{bad}"
            );
        }
        assert_eq!(
            EmailDomain::of_email("a@corp.example").unwrap().as_str(),
            "corp.example"
        );
    }

    #[test]
    fn enums_parse_their_names_only() {
        assert_eq!(Protocol::parse("oidc"), Ok(Protocol::Oidc));
        assert!(Protocol::parse("OIDC").is_err());
        assert_eq!(Protocol::parse("saml"), Ok(Protocol::Saml));
        assert_eq!(
            NameIdFormat::parse("email_address"),
            Ok(NameIdFormat::EmailAddress)
        );
        assert!(NameIdFormat::parse("transient").is_err());
        assert_eq!(Enforcement::parse("required"), Ok(Enforcement::Required));
        assert!(Enforcement::parse("always").is_err());
    }
}
