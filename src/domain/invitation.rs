//! Where an invitation stands; derived from its timestamps, never stored.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum InvitationStatus {
    /// Can still be accepted.
    Pending,
    Accepted,
    /// Replaced by a newer invitation of the same user.
    Superseded,
    Expired,
    /// Taken back by an administrator before it was accepted.
    Revoked,
}

impl InvitationStatus {
    /// Accepted wins over everything; then revoked; then superseded; then
    /// expiry.
    pub fn derive(
        accepted: Option<NaiveDateTime>,
        superseded: Option<NaiveDateTime>,
        revoked: Option<NaiveDateTime>,
        expires: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Self {
        match (accepted, revoked, superseded) {
            (Some(_), _, _) => Self::Accepted,
            (None, Some(_), _) => Self::Revoked,
            (None, None, Some(_)) => Self::Superseded,
            (None, None, None) if expires <= now => Self::Expired,
            (None, None, None) => Self::Pending,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_uppercase().as_str() {
            "PENDING" => Some(Self::Pending),
            "ACCEPTED" => Some(Self::Accepted),
            "SUPERSEDED" => Some(Self::Superseded),
            "EXPIRED" => Some(Self::Expired),
            "REVOKED" => Some(Self::Revoked),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InvitationStatus::{self, *};
    use chrono::{Duration, NaiveDate};

    fn at(hour: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn status_follows_the_timestamps() {
        let expires = at(12);
        let derive = InvitationStatus::derive;
        assert_eq!(derive(None, None, None, expires, at(11)), Pending);
        assert_eq!(derive(None, None, None, expires, at(12)), Expired);
        assert_eq!(
            derive(None, Some(at(10)), None, expires, at(11)),
            Superseded
        );
        assert_eq!(derive(Some(at(10)), None, None, expires, at(13)), Accepted);
        // Accepted before a later invitation superseded nothing: still accepted.
        assert_eq!(
            derive(
                Some(at(10)),
                Some(at(10) + Duration::hours(1)),
                None,
                expires,
                at(11)
            ),
            Accepted
        );
        // Revoked, then expired or replaced: it stays revoked.
        assert_eq!(derive(None, None, Some(at(10)), expires, at(13)), Revoked);
        assert_eq!(
            derive(None, Some(at(11)), Some(at(10)), expires, at(11)),
            Revoked
        );
    }

    #[test]
    fn parses_names_in_any_case() {
        assert_eq!(InvitationStatus::parse("pending"), Some(Pending));
        assert_eq!(InvitationStatus::parse("EXPIRED"), Some(Expired));
        assert_eq!(InvitationStatus::parse("revoked"), Some(Revoked));
        assert_eq!(InvitationStatus::parse("open"), None);
    }
}
