//! Property tests of the domain newtypes and the user_roles rules: arbitrary
//! input either parses to a valid value or yields the documented error, and
//! what is shown parses back to the same value.

use proptest::prelude::*;

use super::id::{ID_LEN, PublicId};
use super::role::{BuiltinRole, Permission, RoleName, Tier};
use super::time;
use super::user::{EMAIL_INVISIBLE, Email, Kind, Password, Title, UserName, is_invisible};
use super::user_roles::{self, Assignment, MEMBERSHIP_REQUIRED, RoleRef};

fn assignment() -> impl Strategy<Value = Assignment> {
    (
        prop::sample::select(BuiltinRole::ALL.to_vec()),
        prop::sample::select(vec![Tier::Account, Tier::Team, Tier::Scope]),
        prop::option::of(prop::sample::select(vec!["T1".to_owned(), "T2".to_owned()])),
        prop::option::of(prop::sample::select(vec!["X1".to_owned(), "X2".to_owned()])),
    )
        .prop_map(|(role, tier, team, target)| Assignment {
            role: RoleRef::builtin(role),
            tier,
            team,
            target,
            starts: None,
            expires: None,
        })
}

proptest! {
    #[test]
    fn ids_parse_exactly_when_they_are_twelve_base58_characters(raw in ".{0,20}") {
        let base58 = raw.chars().all(|c| c.is_ascii_alphanumeric() && !"0OIl".contains(c));
        let parsed = PublicId::parse(&raw);
        prop_assert_eq!(parsed.is_some(), raw.len() == ID_LEN && base58);
        if let Some(id) = parsed {
            prop_assert_eq!(id.as_str(), raw.as_str());
        }
    }

    #[test]
    fn random_ids_always_parse(_ in 0..50u8) {
        let id = PublicId::random();
        prop_assert_eq!(PublicId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn names_are_bounded_and_trimmed(raw in "\\PC{0,80}") {
        match UserName::parse(&raw) {
            Ok(name) => {
                let name = name.into_string();
                prop_assert!(!name.is_empty() && name.chars().count() <= 60);
                prop_assert_eq!(name.trim(), name.as_str());
            }
            Err(message) => prop_assert!(message.starts_with("Ensure") || message.contains("blank") || message.contains("Control")),
        }
    }

    #[test]
    fn emails_never_panic_and_stay_bounded(raw in "\\PC{0,300}") {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert!(email.as_str().chars().count() <= 254);
            prop_assert!(email.as_str().contains('@'));
            prop_assert!(!email.as_str().chars().any(is_invisible));
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        }
    }

    #[test]
    fn emails_are_stored_composed_with_an_ascii_lowercase_domain(
        local in "[a-zA-Z0-9.+_-]{1,20}",
        labels in prop::collection::vec("[a-zA-Z0-9éÉüÜ木\u{301}\u{308}-]{1,12}", 1..4),
        tld in "[a-zA-Z]{2,6}",
    ) {
        let raw = format!("{local}@{}.{tld}", labels.join("."));
        if let Ok(email) = Email::parse(&raw) {
            let (stored_local, domain) = email.as_str().rsplit_once('@').unwrap();
            prop_assert_eq!(stored_local, local.as_str());
            prop_assert!(domain.is_ascii());
            prop_assert_eq!(domain, domain.to_ascii_lowercase());
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            // Another spelling of the same domain is the same address.
            prop_assert_eq!(Email::parse(&raw.to_uppercase().replacen(&local.to_uppercase(), &local, 1)), Ok(email.clone()));
        }
    }

    #[test]
    fn an_invisible_character_anywhere_is_refused(
        local in "[a-z0-9.+_-]{1,20}",
        domain in "[a-zé]{1,12}\\.[a-z]{2,6}",
        invisible in prop::sample::select(vec![
            '\u{0}', '\u{1f}', '\u{7f}', '\u{ad}', '\u{34f}', '\u{200b}', '\u{200c}',
            '\u{200d}', '\u{200e}', '\u{202e}', '\u{2060}', '\u{3164}', '\u{fe0f}',
            '\u{feff}', '\u{e0001}', '\u{e0100}',
        ]),
        at in any::<prop::sample::Index>(),
    ) {
        let raw = format!("{local}@{domain}");
        let chars: Vec<char> = raw.chars().collect();
        let at = at.index(chars.len() + 1);
        let spoiled: String = chars[..at].iter().chain([invisible].iter()).chain(&chars[at..]).collect();
        prop_assert_eq!(Email::parse(&spoiled), Err(EMAIL_INVISIBLE.to_owned()));
    }

    #[test]
    fn enums_round_trip_through_their_wire_form(raw in "[a-zA-Z_]{0,16}") {
        if let Ok(title) = Title::parse(&raw) {
            prop_assert_eq!(title.as_str(), raw.as_str());
        }
        if let Ok(kind) = Kind::parse(&raw) {
            prop_assert_eq!(kind.as_str(), raw.to_ascii_lowercase());
        }
        if let Ok(tier) = Tier::parse(&raw) {
            prop_assert_eq!(Tier::parse(tier.as_str()), Ok(tier));
        }
        if let Ok(p) = Permission::parse(&raw) {
            prop_assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(raw));
        }
    }

    #[test]
    fn passwords_follow_the_policy(raw in "\\PC{0,40}") {
        let ok = Password::parse(&raw).is_ok();
        let count = raw.chars().count();
        let has_digit_or_symbol = raw.chars().any(|c| !c.is_alphabetic() && !c.is_whitespace());
        prop_assert_eq!(ok, (10..=256).contains(&count) && has_digit_or_symbol);
    }

    #[test]
    fn custom_role_names_never_take_a_builtin_name(raw in "[a-zA-Z ]{0,12}") {
        if let Ok(name) = RoleName::parse(&raw) {
            prop_assert!(BuiltinRole::by_name(&name.into_string().to_uppercase()).is_none());
        }
    }

    #[test]
    fn times_are_shown_in_a_form_that_parses_back(secs in 0i64..4_000_000_000, micros in 0u32..1_000_000) {
        let t = chrono::DateTime::from_timestamp(secs, micros * 1000).unwrap().naive_utc();
        let shown = time::format(&t);
        prop_assert!(shown.ends_with('Z') && shown.len() == 27);
        prop_assert_eq!(time::parse(&shown), Ok(t));
    }

    #[test]
    fn accepted_role_lists_obey_every_tier_rule(items in prop::collection::vec(assignment(), 0..5)) {
        let wrapped: Vec<Option<Assignment>> = items.iter().cloned().map(Some).collect();
        match user_roles::validate(&wrapped, vec![]) {
            Ok(()) => {
                prop_assert_eq!(items.iter().filter(|a| a.is_membership()).count(), 1);
                for a in &items {
                    match a.tier {
                        Tier::Account => prop_assert!(a.team.is_none() && a.target.is_none()),
                        Tier::Team => prop_assert!(a.team.is_some() && a.target.is_none()),
                        Tier::Scope => prop_assert!(a.target.is_some() && a.team.is_none()),
                    }
                    if a.tier != Tier::Account {
                        prop_assert!(!a.role.builtin.is_some_and(BuiltinRole::account_tier_only));
                    }
                }
                let mut keys: Vec<_> = items.iter().map(Assignment::key).collect();
                keys.sort();
                keys.dedup();
                prop_assert_eq!(keys.len(), items.len());
            }
            Err(errors) => {
                // Either per-item errors mirroring the input, or the list-level message.
                let list = errors.as_array().unwrap();
                prop_assert!(list.len() == items.len() || list == &vec![serde_json::json!(MEMBERSHIP_REQUIRED)]);
            }
        }
    }
}
