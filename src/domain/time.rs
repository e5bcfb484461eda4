//! Times: stored as naive UTC with microsecond precision (SQLite would keep
//! nanoseconds, PostgreSQL microseconds: truncating makes both answer alike),
//! shown as ISO 8601 with six fractional digits and `Z`.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SubsecRound, Timelike, Utc};
use serde::Serializer;

/// The service's clock: what every rule that depends on time reads.
pub fn now() -> NaiveDateTime {
    (Utc::now().naive_utc() + test_clock::offset()).trunc_subsecs(6)
}

/// A clock tests can move forward, to see a grant expire or an account
/// fall dormant without waiting. It exists only in builds with debug
/// assertions (tests and `cargo run`), never in release builds, and is moved
/// only by code in the same process: no setting, variable or request
/// reaches it. It moves every server of the process, so tests that move it
/// run in a test binary of their own (`tests/clock.rs`), one at a time.
#[cfg(debug_assertions)]
pub mod test_clock {
    use std::sync::atomic::{AtomicI64, Ordering};

    static OFFSET_MILLIS: AtomicI64 = AtomicI64::new(0);

    /// Moves the clock forward by `by`.
    pub fn advance(by: chrono::Duration) {
        OFFSET_MILLIS.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Puts the clock back to the real time.
    pub fn reset() {
        OFFSET_MILLIS.store(0, Ordering::SeqCst);
    }

    pub(super) fn offset() -> chrono::Duration {
        chrono::Duration::milliseconds(OFFSET_MILLIS.load(Ordering::SeqCst))
    }
}

#[cfg(not(debug_assertions))]
mod test_clock {
    #[inline(always)]
    pub(super) fn offset() -> chrono::Duration {
        chrono::Duration::zero()
    }
}

pub fn format(t: &NaiveDateTime) -> String {
    Shown(t).to_string()
}

/// A time as the API shows it.
struct Shown<'a>(&'a NaiveDateTime);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match shown_bytes(self.0) {
            Some(bytes) => f.write_str(ascii(&bytes)),
            None => write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss.uuuuuuZ`, written digit by digit into a fixed buffer:
/// a page of users carries hundreds of times, and both chrono's `format`
/// and `write!` with padded fields cost thousands of instructions each.
/// `None` where chrono must write it: years past 9999 (with a sign) and leap
/// seconds (a nanosecond count past one second).
fn shown_bytes(t: &NaiveDateTime) -> Option<[u8; 27]> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    if t.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    for (range, value) in [
        (0..4, year),
        (5..7, t.month()),
        (8..10, t.day()),
        (11..13, t.hour()),
        (14..16, t.minute()),
        (17..19, t.second()),
        (20..26, t.nanosecond() / 1000),
    ] {
        let mut rest = value;
        for digit in out[range].iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    Some(out)
}

fn ascii(bytes: &[u8; 27]) -> &str {
    std::str::from_utf8(bytes).expect("digits and separators are ASCII")
}

/// Serde helpers for `NaiveDateTime` fields of API views.
pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    match shown_bytes(t) {
        Some(bytes) => s.serialize_str(ascii(&bytes)),
        None => s.collect_str(&Shown(t)),
    }
}

pub fn serialize_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
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
    fn shown_like_chrono_formats_it() {
        let chrono = |t: &NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let day = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        for t in [
            day.and_hms_micro_opt(3, 4, 5, 6).unwrap(),
            day.and_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
            day.and_hms_nano_opt(0, 0, 0, 123_456_789).unwrap(),
            day.and_hms_micro_opt(23, 59, 59, 1_500_000).unwrap(), // leap second
            NaiveDate::from_ymd_opt(12_345, 6, 7)
                .unwrap()
                .and_hms_opt(8, 9, 10)
                .unwrap(),
            NaiveDate::from_ymd_opt(-1, 6, 7)
                .unwrap()
                .and_hms_opt(8, 9, 10)
                .unwrap(),
            NaiveDate::from_ymd_opt(9, 6, 7)
                .unwrap()
                .and_hms_opt(8, 9, 10)
                .unwrap(),
        ] {
            assert_eq!(format(&t), chrono(&t));
            let json = serde_json::to_string(&Times {
                at: t,
                maybe: Some(t),
                never: None,
            });
            let expected = format!(r#"{{"at":"{0}","maybe":"{0}","never":null}}"#, chrono(&t));
            assert_eq!(json.unwrap(), expected);
        }
    }

    #[derive(serde::Serialize)]
    struct Times {
        #[serde(serialize_with = "serialize")]
        at: NaiveDateTime,
        #[serde(serialize_with = "serialize_opt")]
        maybe: Option<NaiveDateTime>,
        #[serde(serialize_with = "serialize_opt")]
        never: Option<NaiveDateTime>,
    }

    proptest::proptest! {
        #[test]
        fn any_time_is_shown_as_chrono_formats_it(
            days in -800_000i64..4_000_000,
            nanos in 0u64..86_401_000_000_000,
        ) {
            let t = NaiveDate::from_ymd_opt(1, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                + chrono::Duration::days(days)
                + chrono::Duration::nanoseconds(nanos as i64);
            let chrono = t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            proptest::prop_assert_eq!(format(&t), chrono.clone());
            let json = serde_json::to_string(&Times { at: t, maybe: Some(t), never: None }).unwrap();
            proptest::prop_assert_eq!(json, format!(r#"{{"at":"{0}","maybe":"{0}","never":null}}"#, chrono));
        }
    }

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
