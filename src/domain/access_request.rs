//! Access requests: a person asks for a role at a place for a while, and
//! someone who could grant it there decides. The pure rules: how a request
//! stands, and the bounds of its duration, reason and comment.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

/// The longest any grant may be requested for: 365 days, in seconds.
pub const DURATION_MAX: i64 = 365 * 24 * 3600;
/// How long a request waits for a decision before it expires: 14 days.
pub const PENDING_DAYS: i64 = 14;
pub const REASON_MAX: usize = 1000;
pub const COMMENT_MAX: usize = 1000;

/// How a request stands, as stored (`Expired` is never stored: it is a
/// pending request read after its `expires`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccessRequestStatus {
    /// Waiting for a decision.
    Pending,
    /// Granted: the role assignment was added with the request's window.
    Approved,
    Denied,
    /// Withdrawn by its requester before a decision.
    Cancelled,
    /// Not decided in time (14 days): it can no longer be decided.
    Expired,
}

impl AccessRequestStatus {
    pub const ALL: [AccessRequestStatus; 5] = [
        AccessRequestStatus::Pending,
        AccessRequestStatus::Approved,
        AccessRequestStatus::Denied,
        AccessRequestStatus::Cancelled,
        AccessRequestStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessRequestStatus::Pending => "PENDING",
            AccessRequestStatus::Approved => "APPROVED",
            AccessRequestStatus::Denied => "DENIED",
            AccessRequestStatus::Cancelled => "CANCELLED",
            AccessRequestStatus::Expired => "EXPIRED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// How a request stored as `stored` with deadline `expires` stands at `now`.
    pub fn derive(stored: Self, expires: NaiveDateTime, now: NaiveDateTime) -> Self {
        if stored == AccessRequestStatus::Pending && expires <= now {
            AccessRequestStatus::Expired
        } else {
            stored
        }
    }
}

/// A requested duration in seconds: more than 0, at most `DURATION_MAX`
/// and at most the role's own `max_duration` when it has one.
pub fn check_duration(seconds: i64, role_max: Option<i64>) -> Result<i64, String> {
    if seconds < 1 {
        return Err("Ensure this value is greater than or equal to 1.".into());
    }
    if seconds > DURATION_MAX {
        return Err(format!(
            "Ensure this value is less than or equal to {DURATION_MAX} (365 days)."
        ));
    }
    if let Some(max) = role_max
        && seconds > max
    {
        return Err(format!(
            "This role can be requested for at most {max} seconds."
        ));
    }
    Ok(seconds)
}

/// A role's `max_duration`: from 1 second to `DURATION_MAX`.
pub fn parse_max_duration(seconds: i64) -> Result<i64, String> {
    check_duration(seconds, None)
}

/// Why a request is made: required, at most 1000 characters, no control
/// characters but line breaks and tabs.
pub fn parse_reason(raw: &str) -> Result<String, String> {
    bounded_text(raw, REASON_MAX, true)
}

/// A decision's comment: optional (blank is none), at most 1000 characters.
pub fn parse_comment(raw: &str) -> Result<Option<String>, String> {
    bounded_text(raw, COMMENT_MAX, false).map(|c| (!c.is_empty()).then_some(c))
}

fn bounded_text(raw: &str, max: usize, required: bool) -> Result<String, String> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err(super::user::BLANK.into());
    }
    if value.chars().count() > max {
        return Err(super::user::too_long(max));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("Control characters are not allowed.".into());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded_by_the_global_and_the_role_maximum() {
        assert_eq!(check_duration(3600, None), Ok(3600));
        assert!(check_duration(0, None).is_err());
        assert!(check_duration(-5, None).is_err());
        assert!(check_duration(DURATION_MAX + 1, None).is_err());
        assert_eq!(check_duration(DURATION_MAX, None), Ok(DURATION_MAX));
        assert!(check_duration(7200, Some(3600)).is_err());
        assert_eq!(check_duration(3600, Some(3600)), Ok(3600));
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert!(parse_reason("  ").is_err());
        assert!(parse_reason(&"x".repeat(REASON_MAX + 1)).is_err());
        assert_eq!(
            parse_reason(" on call\nweek 49 ").unwrap(),
            "on call\nweek 49"
        );
        assert!(parse_reason("a\u{7}b").is_err());
        assert_eq!(parse_comment(" "), Ok(None));
        assert_eq!(parse_comment("ok"), Ok(Some("ok".into())));
    }

    #[test]
    fn a_pending_request_past_its_deadline_is_expired() {
        let t = |h| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        use AccessRequestStatus::*;
        assert_eq!(AccessRequestStatus::derive(Pending, t(10), t(9)), Pending);
        assert_eq!(AccessRequestStatus::derive(Pending, t(10), t(10)), Expired);
        assert_eq!(
            AccessRequestStatus::derive(Approved, t(10), t(11)),
            Approved
        );
        for s in AccessRequestStatus::ALL {
            assert_eq!(AccessRequestStatus::parse(s.as_str()), Some(s));
        }
    }
}
