//! Times: stored as naive UTC with microsecond precision (SQLite would keep
//! nanoseconds, PostgreSQL microseconds: truncating makes both answer alike),
//! shown as ISO 8601 with six fractional digits and `Z`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::{Serialize, Serializer};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn format(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Serde helpers for `NaiveDateTime` fields of API views.
pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    format(t).serialize(s)
}

pub fn serialize_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    t.as_ref().map(format).serialize(s)
}

/// Accepts an RFC 3339 date-time (any offset, converted to UTC) or a plain
/// `YYYY-MM-DD` date (midnight UTC).
pub fn parse(raw: &str) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc).naive_utc().trunc_subsecs(6));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.trunc_subsecs(6));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    }
    Err(
        "Datetime has wrong format. Use one of these formats instead: \
         YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_microseconds_and_z() {
        let t = parse("2026-11-28T13:27:43.8208302Z").unwrap();
        assert_eq!(format(&t), "2026-11-28T13:27:43.820830Z");
    }

    #[test]
    fn converts_offsets_and_dates() {
        let t = parse("2024-01-01T02:00:00+02:00").unwrap();
        assert_eq!(format(&t), "2024-01-01T00:00:00.000000Z");
        assert_eq!(
            format(&parse("2024-01-01").unwrap()),
            "2024-01-01T00:00:00.000000Z"
        );
        assert!(parse("yesterday").is_err());
    }
}
