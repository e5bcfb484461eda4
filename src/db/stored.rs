//! Domain enums as the database stores them: as text, written from their
//! stored name and read back failing closed. A value this code never wrote
//! (a typo in a manual edit, a row from a newer version) is an error, never
//! a guess: falling back to, say, account tier would grant organization-wide
//! power by accident.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Text, Timestamp};
use diesel::sqlite::{Sqlite, SqliteType};

use super::MultiBackend;
use crate::domain::access_request::AccessRequestStatus;
use crate::domain::dormancy::DormantAction;
use crate::domain::role::{Permission, PermissionSet, Tier};
use crate::domain::token::TokenAlgorithm;
use crate::domain::user::{Kind, Source, Title};

/// A type stored as one text value.
pub trait StoredText: Sized {
    /// What the value is, for the error naming a bad one.
    const WHAT: &'static str;
    fn to_stored(&self) -> std::borrow::Cow<'static, str>;
    fn from_stored(raw: &str) -> Option<Self>;
}

/// A stored value this code does not know.
#[derive(Debug)]
pub struct UnknownStored {
    what: &'static str,
    value: String,
}

impl fmt::Display for UnknownStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Stored values of these types are never secret.
        write!(f, "unknown stored {}: {:?}", self.what, self.value)
    }
}

impl std::error::Error for UnknownStored {}

fn parse<T: StoredText>(raw: String) -> deserialize::Result<T> {
    T::from_stored(&raw).ok_or_else(|| {
        Box::new(UnknownStored {
            what: T::WHAT,
            value: raw,
        })
        .into()
    })
}

/// The diesel mapping of a `StoredText` type, for each backend (queries run
/// through the `MultiConnection` or, for prepared hot paths, directly on
/// one backend's connection).
macro_rules! stored_as_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse(<String as FromSql<Text, Pg>>::from_sql(bytes)?)
            }
        }

        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse(<String as FromSql<Text, Sqlite>>::from_sql(bytes)?)
            }
        }

        impl FromSql<Text, MultiBackend> for $ty {
            fn from_sql(
                bytes: <MultiBackend as Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                parse(bytes.from_sql::<String, Text>()?)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let stored = self.to_stored();
                <str as ToSql<Text, Pg>>::to_sql(&stored, &mut out.reborrow())
            }
        }

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_stored().into_owned());
                Ok(serialize::IsNull::No)
            }
        }

        impl ToSql<Text, MultiBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(serialize::IsNull::No)
            }
        }
    )+};
}

stored_as_text!(
    Tier,
    Title,
    Kind,
    Source,
    PermissionSet,
    TokenAlgorithm,
    DormantAction
);
stored_as_text!(AccessRequestStatus);

impl StoredText for DormantAction {
    const WHAT: &'static str = "dormant action";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        DormantAction::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl StoredText for TokenAlgorithm {
    const WHAT: &'static str = "token algorithm";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        TokenAlgorithm::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl StoredText for Tier {
    const WHAT: &'static str = "tier";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        // Only what is written: not the `target` alias clients may send.
        [Tier::Account, Tier::Team, Tier::Scope]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }
}

impl StoredText for Title {
    const WHAT: &'static str = "title";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        Title::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

impl StoredText for Kind {
    const WHAT: &'static str = "kind";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl StoredText for Source {
    const WHAT: &'static str = "source";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        Source::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A role's permissions, stored space-separated.
impl StoredText for PermissionSet {
    const WHAT: &'static str = "permission list";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        raw.split_whitespace()
            .map(|p| Permission::parse(p).ok())
            .collect::<Option<BTreeSet<_>>>()
            .map(PermissionSet::from)
    }
}

// Access review campaigns (`domain::access_reviews`).
stored_as_text!(
    crate::domain::access_reviews::ReviewScope,
    crate::domain::access_reviews::Decision,
    crate::domain::access_reviews::ReviewStatus,
    crate::domain::access_reviews::Outcome,
);

macro_rules! stored_by_name {
    ($($ty:ty => $what:literal),+ $(,)?) => {$(
        impl StoredText for $ty {
            const WHAT: &'static str = $what;
            fn to_stored(&self) -> std::borrow::Cow<'static, str> {
                self.as_str().into()
            }
            fn from_stored(raw: &str) -> Option<Self> {
                <$ty>::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    )+};
}

stored_by_name!(
    crate::domain::access_reviews::ReviewScope => "review scope",
    crate::domain::access_reviews::Decision => "review decision",
    crate::domain::access_reviews::ReviewStatus => "review status",
    crate::domain::access_reviews::Outcome => "review outcome",
);

/// Only what is stored: never `EXPIRED`, which is read from the deadline.
impl StoredText for AccessRequestStatus {
    const WHAT: &'static str = "access request status";
    fn to_stored(&self) -> std::borrow::Cow<'static, str> {
        self.as_str().into()
    }
    fn from_stored(raw: &str) -> Option<Self> {
        AccessRequestStatus::parse(raw).filter(|s| *s != AccessRequestStatus::Expired)
    }
}

/// A timestamp read from a row. SQLite keeps times as text, which diesel
/// reads by trying chrono patterns in turn, each parsed afresh (about 2,900
/// instructions a value, a tenth of a list page's work); the layout diesel
/// writes (`2026-12-07 06:05:40.123456`) is read here field by field, and
/// anything else is left to diesel. PostgreSQL's binary times go to diesel.
/// For `#[diesel(deserialize_as = StoredTime)]` on a model's times.
pub struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(time: StoredTime) -> Self {
        time.0
    }
}

impl<DB> Queryable<Timestamp, DB> for StoredTime
where
    DB: Backend,
    StoredTime: FromSql<Timestamp, DB>,
{
    type Row = Self;

    fn build(time: Self) -> deserialize::Result<Self> {
        Ok(time)
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text)
            && let Some(time) = written_time(value.read_text(), b' ')
        {
            return Ok(StoredTime(time));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(StoredTime)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(bytes).map(StoredTime)
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<StoredTime, Timestamp>()
    }
}

/// `YYYY-MM-DD` `separator` `hh:mm:ss`, then nothing or `.` and one to nine
/// digits of fraction: the times diesel writes to SQLite (`separator` a
/// space) and PostgreSQL's JSON writes (`T`). `None` for anything else,
/// including a leap second, which callers leave to chrono.
pub fn written_time(raw: &str, separator: u8) -> Option<NaiveDateTime> {
    let b = raw.as_bytes();
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(4, b'-') && at(7, b'-') && at(10, separator) && at(13, b':') && at(16, b':')) {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanosecond = match b.get(19..)? {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)?.and_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanosecond,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: StoredText + PartialEq + fmt::Debug>(value: T) {
        assert_eq!(T::from_stored(&value.to_stored()), Some(value));
    }

    #[test]
    fn every_value_round_trips_and_unknown_ones_fail_closed() {
        [Tier::Account, Tier::Team, Tier::Scope]
            .into_iter()
            .for_each(round_trip);
        Title::ALL.into_iter().for_each(round_trip);
        Kind::ALL.into_iter().for_each(round_trip);
        Source::ALL.into_iter().for_each(round_trip);
        DormantAction::ALL.into_iter().for_each(round_trip);
        round_trip(PermissionSet::from(BTreeSet::from(Permission::ALL)));
        round_trip(PermissionSet::default());
        assert_eq!(Tier::from_stored("target"), None);
        assert_eq!(Tier::from_stored("Account"), None);
        assert_eq!(Title::from_stored("CEO"), None);
        assert_eq!(Source::from_stored("scim"), None);
        assert_eq!(
            PermissionSet::from_stored("users.view users.everything"),
            None
        );
    }

    /// The field-by-field reading agrees with chrono's on every time diesel
    /// writes, and declines what it does not know.
    #[test]
    fn written_times_read_as_chrono_reads_them() {
        use proptest::prelude::*;
        let chrono = |raw: &str| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f").ok();
        proptest!(|(seconds in 0i64..253_402_300_799, nanos in 0u32..1_000_000_000, digits in 0usize..=9)| {
            let time = chrono::DateTime::from_timestamp(seconds, nanos).unwrap().naive_utc();
            // As diesel writes it, and with the fraction cut to `digits`.
            let written = time.format("%Y-%m-%d %H:%M:%S%.f").to_string();
            prop_assert_eq!(written_time(&written, b' '), Some(time));
            let mut cut = time.format("%Y-%m-%d %H:%M:%S%.9f").to_string();
            cut.truncate(if digits == 0 { 19 } else { 20 + digits });
            prop_assert_eq!(written_time(&cut, b' '), chrono(&cut), "{}", cut);
            let t = cut.replacen(' ', "T", 1);
            prop_assert_eq!(written_time(&t, b'T'), chrono(&cut));
        });
        for declined in [
            "",
            "2026-12-07",
            "2026-12-07 06:05",
            "2026-12-07T06:05:40",
            "2026-12-07 06:05:40.",
            "2026-12-07 06:05:40.1234567890",
            "2026-12-07 06:05:40Z",
            "2026-12-07 06:05:40+01:00",
            "2026-13-07 06:05:40",
            "2026-02-30 06:05:40",
            "2026-12-07 24:00:00",
            "2026-12-07 23:59:60",
            "2026-1a-07 06:05:40",
            "+2026-12-07 06:05:40",
            "2026-12-07 06:05:40.12a",
        ] {
            assert_eq!(written_time(declined, b' '), None, "{declined:?}");
        }
    }
}
