//! A team's own fields, parsed once at the edge. Each `parse` returns the
//! DRF-style message a client sees under that field's name.

use super::user::too_long;

pub const NAME_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 1000;

pub use super::text::CONTROL_CHARACTERS;

/// The name of a team or a target: 1 to 255 characters, trimmed, no
/// control characters.
pub(super) fn parse_object_name(raw: &str) -> Result<String, String> {
    super::text::one_line_name(raw, NAME_MAX)
}

/// A team's name: 1 to 255 characters, trimmed. Not unique: two teams may
/// share a name (they differ by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
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

/// Free text describing a team: at most 1000 characters, trimmed, may be
/// empty. Line breaks and tabs are text; other control characters are not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.chars().count() > DESCRIPTION_MAX {
            return Err(too_long(DESCRIPTION_MAX));
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(CONTROL_CHARACTERS.into());
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
            TeamName::parse("  Blue team ").unwrap().as_str(),
            "Blue team"
        );
        assert!(TeamName::parse(&"é".repeat(255)).is_ok());
        assert_eq!(
            TeamName::parse(&"é".repeat(256)).unwrap_err(),
            "Ensure this field has no more than 255 characters."
        );
        assert_eq!(TeamName::parse("   ").unwrap_err(), BLANK);
        assert_eq!(TeamName::parse("").unwrap_err(), BLANK);
    }

    #[test]
    fn name_rejects_control_characters() {
        assert_eq!(
            TeamName::parse("red\u{0}team").unwrap_err(),
            CONTROL_CHARACTERS
        );
        assert_eq!(
            TeamName::parse("red\nteam").unwrap_err(),
            CONTROL_CHARACTERS
        );
    }

    #[test]
    fn description_may_be_empty_or_multiline_up_to_1000_characters() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert_eq!(
            Description::parse(" line one\nline\ttwo ")
                .unwrap()
                .as_str(),
            "line one\nline\ttwo"
        );
        assert!(Description::parse(&"x".repeat(1000)).is_ok());
        assert_eq!(
            Description::parse(&"x".repeat(1001)).unwrap_err(),
            "Ensure this field has no more than 1000 characters."
        );
        assert_eq!(
            Description::parse("bell\u{7}").unwrap_err(),
            CONTROL_CHARACTERS
        );
    }
}
