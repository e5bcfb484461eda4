//! Dormant accounts: people who have neither signed in nor used an API key
//! for an organization's `dormant_after_days`. The access review flags them;
//! with `dormant_action: deactivate` the scheduler deactivates them.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

/// The most days an organization may set (ten years).
pub const AFTER_DAYS_MAX: i32 = 3650;

/// What happens to a dormant account.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum DormantAction {
    /// Shown as dormant in the access review; nothing else.
    Flag,
    /// Deactivated by the scheduler (never the last active owner).
    Deactivate,
}

impl DormantAction {
    pub const ALL: [DormantAction; 2] = [DormantAction::Flag, DormantAction::Deactivate];

    pub fn as_str(self) -> &'static str {
        match self {
            DormantAction::Flag => "flag",
            DormantAction::Deactivate => "deactivate",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| crate::domain::user::not_a_choice(raw))
    }
}

/// `dormant_after_days` as a client wrote it: 1 to ten years, or null.
pub fn parse_after_days(raw: i64) -> Result<i32, String> {
    match i32::try_from(raw) {
        Ok(days) if (1..=AFTER_DAYS_MAX).contains(&days) => Ok(days),
        _ => Err(format!(
            "Ensure this value is between 1 and {AFTER_DAYS_MAX}."
        )),
    }
}

/// The instant before which a last activity makes an account dormant.
pub fn cutoff(now: NaiveDateTime, after_days: i32) -> NaiveDateTime {
    now - Duration::days(i64::from(after_days))
}

/// Whether an account last active at `last_activity` (its last login or
/// API-key use, else its creation) is dormant at `now`.
pub fn is_dormant(last_activity: NaiveDateTime, now: NaiveDateTime, after_days: i32) -> bool {
    last_activity < cutoff(now, after_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_choices() {
        assert_eq!(parse_after_days(1), Ok(1));
        assert_eq!(parse_after_days(3650), Ok(3650));
        assert!(parse_after_days(0).is_err());
        assert!(parse_after_days(3651).is_err());
        assert!(parse_after_days(i64::MAX).is_err());
        assert_eq!(
            DormantAction::parse("deactivate"),
            Ok(DormantAction::Deactivate)
        );
        assert!(DormantAction::parse("Deactivate").is_err());
    }

    #[test]
    fn dormant_only_past_the_cutoff() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        assert!(!is_dormant(now - Duration::days(30), now, 30));
        assert!(is_dormant(
            now - Duration::days(30) - Duration::seconds(1),
            now,
            30
        ));
    }
}
