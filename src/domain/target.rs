//! A target's own fields, parsed once at the edge. Each `parse` returns the
//! DRF-style message a client sees under that field's name.

use super::team::parse_object_name;
use super::user::{BLANK, too_long};

pub const URL_MAX: usize = 2048;
pub const INVALID_URL: &str = "Enter a valid URL.";

/// A target's name: 1 to 255 characters, trimmed, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetName(String);

impl TargetName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_object_name(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Where a target lives: an absolute `http` or `https` URL with a host, at
/// most 2048 characters, stored as given (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetUrl(String);

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(BLANK.into());
        }
        if value.chars().count() > URL_MAX {
            return Err(too_long(URL_MAX));
        }
        // The url crate forgives what a URL field should not: `http:host`
        // (no `//`), `https:///host` (extra slashes), and blanks or tabs it
        // silently drops or encodes.
        let lowered = value.to_ascii_lowercase();
        let authority = lowered
            .strip_prefix("http://")
            .or_else(|| lowered.strip_prefix("https://"));
        let has_authority = authority.is_some_and(|rest| !rest.starts_with(['/', '\\']));
        if !has_authority || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(INVALID_URL.into());
        }
        match url::Url::parse(value) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some_and(|h| !h.is_empty()) =>
            {
                Ok(Self(value.to_owned()))
            }
            _ => Err(INVALID_URL.into()),
        }
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
    fn name_follows_the_object_name_rules() {
        assert_eq!(TargetName::parse(" Shop ").unwrap().as_str(), "Shop");
        assert_eq!(TargetName::parse("").unwrap_err(), BLANK);
        assert_eq!(
            TargetName::parse(&"a".repeat(256)).unwrap_err(),
            too_long(255)
        );
        assert!(TargetName::parse("a\u{1b}b").is_err());
    }

    #[test]
    fn url_accepts_absolute_http_and_https_urls_as_given() {
        for ok in [
            "https://example.com",
            "http://example.com/",
            "HTTPS://Example.com:8443/shop?q=1#top",
            "http://127.0.0.1:8080",
            "http://[::1]/",
            "https://localhost",
        ] {
            assert_eq!(TargetUrl::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
        assert_eq!(
            TargetUrl::parse("  https://example.com/a  ")
                .unwrap()
                .as_str(),
            "https://example.com/a"
        );
    }

    #[test]
    fn url_rejects_what_is_not_an_absolute_web_url() {
        for bad in [
            "example.com",
            "/relative/path",
            "ftp://example.com",
            "mailto:ann@example.com",
            "javascript:alert(1)",
            "http:example.com",
            "http://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://example.com/\u{0}",
            "not a url",
        ] {
            assert_eq!(TargetUrl::parse(bad).unwrap_err(), INVALID_URL, "{bad:?}");
        }
        assert_eq!(TargetUrl::parse("  ").unwrap_err(), BLANK);
    }

    #[test]
    fn url_is_at_most_2048_characters() {
        let base = "https://example.com/";
        let fits = format!("{base}{}", "a".repeat(URL_MAX - base.len()));
        assert!(TargetUrl::parse(&fits).is_ok());
        let over = format!("{fits}a");
        assert_eq!(TargetUrl::parse(&over).unwrap_err(), too_long(URL_MAX));
    }
}
