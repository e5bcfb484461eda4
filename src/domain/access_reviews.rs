//! Access review campaigns: what a campaign covers, the decisions its
//! reviewers make, and the bounds on what a client may send.

use serde::Serialize;
use utoipa::ToSchema;

use super::user::{not_a_choice, too_long};

pub const NAME_MAX: usize = 255;
pub const COMMENT_MAX: usize = 2000;
/// Reviewers a campaign may name.
pub const REVIEWERS_MAX: usize = 100;

/// What a campaign reviews.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum ReviewScope {
    /// Every role assignment of the organization.
    Organization,
    /// The assignments held at one team, and at the targets of that team.
    Team,
    /// Every assignment of one role, wherever it is held.
    Role,
}

/// A reviewer's decision on one item.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Pending,
    Keep,
    Revoke,
}

/// Whether a campaign still takes decisions.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    Open,
    Closed,
}

/// What a `revoke` did.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The role assignment was removed.
    Removed,
    /// The item was the user's membership role, which cannot be removed
    /// (every user holds exactly one): the user was deactivated.
    Deactivated,
    /// The assignment no longer existed as reviewed: nothing to remove.
    AlreadyGone,
}

macro_rules! named {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $name),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == raw.trim())
                    .ok_or_else(|| not_a_choice(raw))
            }
        }
    };
}

named!(ReviewScope { Organization => "organization", Team => "team", Role => "role" });
named!(Decision { Pending => "pending", Keep => "keep", Revoke => "revoke" });
named!(ReviewStatus { Open => "open", Closed => "closed" });
named!(Outcome { Removed => "removed", Deactivated => "deactivated", AlreadyGone => "already_gone" });

/// A campaign's name: 1 to 255 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewName(String);

impl ReviewName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        super::text::one_line_name(raw, NAME_MAX).map(Self)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A decision's comment: at most 2000 characters (may be empty).
pub fn parse_comment(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > COMMENT_MAX {
        return Err(too_long(COMMENT_MAX));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Ok(*d));
        }
        for s in ReviewScope::ALL {
            assert_eq!(ReviewScope::parse(s.as_str()), Ok(*s));
        }
        assert!(Decision::parse("maybe").is_err());
        assert!(ReviewStatus::parse("OPEN").is_err());
    }

    #[test]
    fn names_and_comments_are_bounded() {
        assert!(ReviewName::parse("  ").is_err());
        assert!(ReviewName::parse(&"x".repeat(NAME_MAX + 1)).is_err());
        assert!(ReviewName::parse("Q4\u{7}").is_err());
        assert_eq!(ReviewName::parse(" Q4 ").unwrap().into_string(), "Q4");
        assert!(parse_comment(&"x".repeat(COMMENT_MAX + 1)).is_err());
        assert_eq!(parse_comment("").unwrap(), "");
    }
}
