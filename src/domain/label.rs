//! A label's own fields, parsed once at the edge. Each `parse` returns the
//! DRF-style message a client sees under that field's name.

use super::user::too_long;

pub const NAME_MAX: usize = 255;
pub const COLOR_MAX: usize = 255;
pub const COLOR_PATTERN: &str = "^[a-zA-Z0-9#_-]*$";

/// A label's name: 1 to 255 characters, trimmed. Unique in the organization,
/// compared case-insensitively (the database enforces that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelName(String);

impl LabelName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        super::text::one_line_name(raw, NAME_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A label's color, e.g. `#00FF00`: letters, digits, `#`, `_` and `-` only
/// (may be empty), at most 255 characters. Trimmed, as DRF trims strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelColor(String);

impl LabelColor {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.chars().count() > COLOR_MAX {
            return Err(too_long(COLOR_MAX));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '#' | '_' | '-');
        if !value.chars().all(allowed) {
            return Err(format!("Enter a valid value matching {COLOR_PATTERN}."));
        }
        Ok(Self(value.to_owned()))
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
    use crate::domain::user::BLANK;

    #[test]
    fn name_is_trimmed_and_one_to_255_characters() {
        assert_eq!(
            LabelName::parse("  Red team ").unwrap().as_str(),
            "Red team"
        );
        assert!(LabelName::parse(&"é".repeat(255)).is_ok());
        assert_eq!(
            LabelName::parse(&"é".repeat(256)).unwrap_err(),
            "Ensure this field has no more than 255 characters."
        );
        assert_eq!(LabelName::parse("").unwrap_err(), BLANK);
        assert_eq!(LabelName::parse(" \t ").unwrap_err(), BLANK);
    }

    #[test]
    fn name_rejects_control_characters() {
        assert!(LabelName::parse("a\u{0}b").is_err());
        assert!(LabelName::parse("a\nb").is_err());
        assert!(LabelName::parse("a\u{7f}b").is_err());
    }

    #[test]
    fn color_matches_the_pattern() {
        for ok in ["#00FF00", "", "red", "dark_blue-2", "  #abc  "] {
            assert!(LabelColor::parse(ok).is_ok(), "{ok:?}");
        }
        assert_eq!(LabelColor::parse(" #abc ").unwrap().as_str(), "#abc");
        for bad in ["#00 FF00", "rgb(0,0,0)", "é", "#fff;", "a\nb"] {
            assert_eq!(
                LabelColor::parse(bad).unwrap_err(),
                "Enter a valid value matching ^[a-zA-Z0-9#_-]*$.",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn color_is_at_most_255_characters() {
        assert!(LabelColor::parse(&"a".repeat(255)).is_ok());
        assert_eq!(
            LabelColor::parse(&"a".repeat(256)).unwrap_err(),
            "Ensure this field has no more than 255 characters."
        );
    }
}
