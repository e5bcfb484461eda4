//! Domain enums as the database stores them: as text, written from their
//! stored name and read back failing closed. A value this code never wrote
//! (a typo in a manual edit, a row from a newer version) is an error, never
//! a guess: falling back to, say, account tier would grant organization-wide
//! power by accident.

use std::collections::BTreeSet;
use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

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
}
