//! The rules a user's list of role assignments must satisfy (API.md "UserRole").
//! References are resolved by the service first; what is left here is pure.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use super::role::{BuiltinRole, Permission, Tier};
use crate::error::FieldErrors;

/// A role as an assignment refers to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
    pub builtin: Option<BuiltinRole>,
    pub permissions: Vec<Permission>,
}

impl RoleRef {
    pub fn builtin(role: BuiltinRole) -> Self {
        Self {
            id: role.id().to_owned(),
            name: role.name().to_owned(),
            builtin: Some(role),
            permissions: role.permissions(),
        }
    }
}

/// One resolved assignment: a role at a tier, with its team or target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub role: RoleRef,
    pub tier: Tier,
    pub team: Option<String>,
    pub target: Option<String>,
    /// In force from (none: since it was made).
    pub starts: Option<NaiveDateTime>,
    /// In force until (none: until it is removed).
    pub expires: Option<NaiveDateTime>,
}

/// Whether an assignment with this window is in force at `now`: from
/// `starts` (inclusive) until `expires` (exclusive). Authorization asks this
/// at every request, so an assignment stops working the moment it expires,
/// whether or not the scheduler has removed it yet.
pub fn in_force(
    starts: Option<NaiveDateTime>,
    expires: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    starts.is_none_or(|s| s <= now) && expires.is_none_or(|e| now < e)
}

/// Whether an assignment expiring at `expires` has ended at `now` (one that
/// has not started yet has not ended: it will give its power later).
pub fn has_ended(expires: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    expires.is_some_and(|e| e <= now)
}

pub const MEMBERSHIP_TIMELESS: &str = "A membership role cannot be time-bound: set the user's \
     contract_end_date, or deactivate the user, instead.";
pub const EXPIRES_AFTER_STARTS: &str = "Ensure this time is after starts.";
pub const EXPIRES_IN_FUTURE: &str = "Ensure this time is in the future.";

impl Assignment {
    /// Whether this assignment is in force at `now`.
    pub fn in_force(&self, now: NaiveDateTime) -> bool {
        in_force(self.starts, self.expires, now)
    }

    /// Whether its window differs from `other`'s.
    pub fn window_differs(&self, other: &Assignment) -> bool {
        (self.starts, self.expires) != (other.starts, other.expires)
    }

    /// Identity of an assignment for duplicate detection and diffs.
    pub fn key(&self) -> (String, Tier, Option<String>, Option<String>) {
        (
            self.role.id.clone(),
            self.tier,
            self.team.clone(),
            self.target.clone(),
        )
    }

    pub fn is_membership(&self) -> bool {
        self.tier == Tier::Account && self.role.builtin.is_some_and(BuiltinRole::is_membership)
    }
}

pub const MEMBERSHIP_REQUIRED: &str = "Exactly one membership role (OWNER, ADMIN, EMPLOYEE, VIEWER or AUDITOR at account tier) is required.";

/// Checks each item and the list as a whole. Items that failed to resolve are
/// `None` (their errors are already in `item_errors`). Returns the errors in
/// API.md's shape: per item (`[{}, {"team": [...]}]`) when any item is wrong,
/// otherwise a list-level message.
pub fn validate(
    items: &[Option<Assignment>],
    mut item_errors: Vec<FieldErrors>,
) -> Result<(), serde_json::Value> {
    item_errors.resize_with(items.len(), FieldErrors::new);
    let mut seen = HashSet::new();
    for (item, errors) in items.iter().zip(item_errors.iter_mut()) {
        let Some(a) = item else { continue };
        match a.tier {
            Tier::Account => {
                if a.team.is_some() {
                    errors.add("team", "An account-tier role cannot have a team.");
                }
                if a.target.is_some() {
                    errors.add("target", "An account-tier role cannot have a target.");
                }
            }
            Tier::Team => {
                if a.team.is_none() {
                    errors.add("team", "A team-tier role needs a team.");
                }
                if a.target.is_some() {
                    errors.add("target", "A team-tier role cannot have a target.");
                }
            }
            Tier::Scope => {
                if a.target.is_none() {
                    errors.add("target", "A scope-tier role needs a target.");
                }
                if a.team.is_some() {
                    errors.add("team", "A scope-tier role cannot have a team.");
                }
            }
        }
        if a.tier != Tier::Account && a.role.builtin.is_some_and(BuiltinRole::account_tier_only) {
            errors.add(
                "role",
                format!("{} can only be granted at account tier.", a.role.name),
            );
        }
        if a.starts.is_some() || a.expires.is_some() {
            if a.is_membership() {
                errors.add(
                    if a.expires.is_some() {
                        "expires"
                    } else {
                        "starts"
                    },
                    MEMBERSHIP_TIMELESS,
                );
            } else if let (Some(starts), Some(expires)) = (a.starts, a.expires)
                && expires <= starts
            {
                errors.add("expires", EXPIRES_AFTER_STARTS);
            }
        }
        if !seen.insert(a.key()) {
            errors.add("non_field_errors", "This role assignment is duplicated.");
        }
    }
    if item_errors.iter().any(|e| !e.is_empty()) {
        return Err(serde_json::Value::Array(
            item_errors
                .into_iter()
                .map(FieldErrors::into_value)
                .collect(),
        ));
    }
    let memberships = items.iter().flatten().filter(|a| a.is_membership()).count();
    if memberships != 1 {
        return Err(serde_json::json!([MEMBERSHIP_REQUIRED]));
    }
    Ok(())
}

/// What a change of assignments adds and removes (by identity).
pub fn diff<'a>(
    before: &'a [Assignment],
    after: &'a [Assignment],
) -> (Vec<&'a Assignment>, Vec<&'a Assignment>) {
    let before_keys: HashSet<_> = before.iter().map(Assignment::key).collect();
    let after_keys: HashSet<_> = after.iter().map(Assignment::key).collect();
    let added = after
        .iter()
        .filter(|a| !before_keys.contains(&a.key()))
        .collect();
    let removed = before
        .iter()
        .filter(|a| !after_keys.contains(&a.key()))
        .collect();
    (added, removed)
}

/// The assignments of `after` that `before` holds too, with another window:
/// extending or moving a grant's window is granting it again.
pub fn rewindowed<'a>(before: &'a [Assignment], after: &'a [Assignment]) -> Vec<&'a Assignment> {
    let before: HashMap<_, _> = before.iter().map(|a| (a.key(), a)).collect();
    after
        .iter()
        .filter(|a| before.get(&a.key()).is_some_and(|b| b.window_differs(a)))
        .collect()
}

pub fn holds_owner(assignments: &[Assignment]) -> bool {
    assignments
        .iter()
        .any(|a| a.tier == Tier::Account && a.role.builtin == Some(BuiltinRole::Owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(role: BuiltinRole) -> Option<Assignment> {
        Some(Assignment {
            role: RoleRef::builtin(role),
            tier: Tier::Account,
            team: None,
            target: None,
            starts: None,
            expires: None,
        })
    }

    #[test]
    fn one_membership_role_is_required() {
        assert!(validate(&[account(BuiltinRole::Admin)], vec![]).is_ok());
        assert_eq!(validate(&[], vec![]), Err(json!([MEMBERSHIP_REQUIRED])));
        assert_eq!(
            validate(&[account(BuiltinRole::Billing)], vec![]),
            Err(json!([MEMBERSHIP_REQUIRED]))
        );
        assert_eq!(
            validate(
                &[account(BuiltinRole::Admin), account(BuiltinRole::Viewer)],
                vec![]
            ),
            Err(json!([MEMBERSHIP_REQUIRED]))
        );
        assert!(
            validate(
                &[account(BuiltinRole::Owner), account(BuiltinRole::Billing)],
                vec![]
            )
            .is_ok()
        );
    }

    #[test]
    fn tiers_need_exactly_their_reference() {
        let team_admin = Some(Assignment {
            role: RoleRef::builtin(BuiltinRole::Admin),
            tier: Tier::Team,
            team: None,
            target: Some("T".into()),
            starts: None,
            expires: None,
        });
        let errors = validate(&[account(BuiltinRole::Viewer), team_admin], vec![]).unwrap_err();
        assert_eq!(
            errors,
            json!([{}, {"team": ["A team-tier role needs a team."], "target": ["A team-tier role cannot have a target."]}])
        );
    }

    #[test]
    fn owner_and_billing_only_at_account_tier_and_no_duplicates() {
        let scoped_owner = Some(Assignment {
            role: RoleRef::builtin(BuiltinRole::Owner),
            tier: Tier::Scope,
            team: None,
            target: Some("T".into()),
            starts: None,
            expires: None,
        });
        let errors = validate(&[account(BuiltinRole::Viewer), scoped_owner], vec![]).unwrap_err();
        assert_eq!(
            errors[1]["role"],
            json!(["OWNER can only be granted at account tier."])
        );
        let errors = validate(
            &[account(BuiltinRole::Viewer), account(BuiltinRole::Viewer)],
            vec![],
        )
        .unwrap_err();
        assert_eq!(
            errors[1]["non_field_errors"],
            json!(["This role assignment is duplicated."])
        );
    }

    #[test]
    fn diff_reports_added_and_removed() {
        let before = [
            account(BuiltinRole::Owner).unwrap(),
            account(BuiltinRole::Billing).unwrap(),
        ];
        let after = [
            account(BuiltinRole::Admin).unwrap(),
            account(BuiltinRole::Billing).unwrap(),
        ];
        let (added, removed) = diff(&before, &after);
        assert_eq!(added[0].role.name, "ADMIN");
        assert_eq!(removed[0].role.name, "OWNER");
        assert!(holds_owner(&before) && !holds_owner(&after));
    }
}
