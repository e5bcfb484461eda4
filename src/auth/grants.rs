//! What a caller may do, and where: the permissions of its role assignments,
//! by tier. This is the one place that answers "may this caller do P here?".
//!
//! A permission held at account tier applies to the whole organization; at
//! team tier to that team (its members, i.e. users holding a role at that
//! team, and its targets); at scope tier to that one target.

use std::collections::{BTreeSet, HashMap};

use crate::domain::role::{Permission, Tier};

/// Where an action applies.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Organization-wide actions (creating or deleting users, labels, roles,
    /// teams, targets, keys of API users, the account...): account tier only.
    Organization,
    /// A team itself (e.g. editing it).
    Team(&'a str),
    /// A target, reached directly or through the teams it belongs to.
    Target { id: &'a str, teams: &'a [String] },
    /// A user, reached through the teams it is a member of.
    Member { teams: &'a [String] },
}

/// Where a granted permission applies (the tier of the assignment it came from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantedAt {
    Organization,
    Team(String),
    Target(String),
}

#[derive(Clone, Debug, Default)]
pub struct Grants {
    account: BTreeSet<Permission>,
    teams: HashMap<String, BTreeSet<Permission>>,
    targets: HashMap<String, BTreeSet<Permission>>,
}

impl Grants {
    /// Adds the permissions of one role assignment.
    pub fn add(
        &mut self,
        tier: Tier,
        team: Option<&str>,
        target: Option<&str>,
        permissions: impl IntoIterator<Item = Permission>,
    ) {
        let set = match (tier, team, target) {
            (Tier::Account, _, _) => &mut self.account,
            (Tier::Team, Some(team), _) => self.teams.entry(team.to_owned()).or_default(),
            (Tier::Scope, _, Some(target)) => self.targets.entry(target.to_owned()).or_default(),
            // A malformed assignment (the database forbids it) grants nothing.
            _ => return,
        };
        set.extend(permissions);
    }

    /// Every permission, at account tier (the system actor, the CLI).
    pub fn everything() -> Self {
        Self {
            account: Permission::ALL.into_iter().collect(),
            ..Self::default()
        }
    }

    pub fn at_account(&self, permission: Permission) -> bool {
        self.account.contains(&permission)
    }

    /// Whether `permission` is held at `scope`, from any tier that covers it.
    pub fn can(&self, permission: Permission, scope: Scope) -> bool {
        if self.at_account(permission) {
            return true;
        }
        let at_team = |team: &str| {
            self.teams
                .get(team)
                .is_some_and(|set| set.contains(&permission))
        };
        match scope {
            Scope::Organization => false,
            Scope::Team(team) => at_team(team),
            Scope::Target { id, teams } => {
                self.targets
                    .get(id)
                    .is_some_and(|set| set.contains(&permission))
                    || teams.iter().any(|team| at_team(team))
            }
            Scope::Member { teams } => teams.iter().any(|team| at_team(team)),
        }
    }

    /// Every (permission, where it applies) these grants hold, for reports.
    pub fn granted(&self) -> Vec<(Permission, GrantedAt)> {
        let mut all: Vec<(Permission, GrantedAt)> = self
            .account
            .iter()
            .map(|p| (*p, GrantedAt::Organization))
            .collect();
        for (team, set) in &self.teams {
            all.extend(set.iter().map(|p| (*p, GrantedAt::Team(team.clone()))));
        }
        for (target, set) in &self.targets {
            all.extend(set.iter().map(|p| (*p, GrantedAt::Target(target.clone()))));
        }
        all
    }

    /// Who may act on whom: whether these grants hold every permission
    /// `other` holds, wherever `other` holds it. A permission `other` holds
    /// organization-wide needs it organization-wide; at a team, it needs it
    /// at that team (or organization-wide); at a target, at that target, one
    /// of its teams (`teams_of_target`), or organization-wide.
    pub fn covers(&self, other: &Grants, teams_of_target: &HashMap<String, Vec<String>>) -> bool {
        other
            .granted()
            .into_iter()
            .all(|(permission, at)| match at {
                GrantedAt::Organization => self.at_account(permission),
                GrantedAt::Team(team) => self.can(permission, Scope::Team(&team)),
                GrantedAt::Target(id) => self.can(
                    permission,
                    Scope::Target {
                        id: &id,
                        teams: teams_of_target.get(&id).map_or(&[], Vec::as_slice),
                    },
                ),
            })
    }

    /// The targets these grants hold scope-tier permissions on.
    pub fn scope_targets(&self) -> impl Iterator<Item = &str> {
        self.targets.keys().map(String::as_str)
    }

    /// The teams where `permission` is held at team tier (not through the
    /// account tier): a team ADMIN's teams.
    pub fn teams_with(&self, permission: Permission) -> Vec<String> {
        let mut teams: Vec<String> = self
            .teams
            .iter()
            .filter(|(_, set)| set.contains(&permission))
            .map(|(team, _)| team.clone())
            .collect();
        teams.sort_unstable();
        teams
    }

    /// Whether `permission` is held anywhere (to decide 403 before looking deeper).
    pub fn anywhere(&self, permission: Permission) -> bool {
        self.at_account(permission)
            || self.teams.values().any(|set| set.contains(&permission))
            || self.targets.values().any(|set| set.contains(&permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    fn grants() -> Grants {
        let mut g = Grants::default();
        g.add(Tier::Account, None, None, [UsersView, TargetsView]);
        g.add(Tier::Team, Some("T1"), None, [UsersManage, TargetsManage]);
        g.add(Tier::Scope, None, Some("X9"), [TargetsManage, RolesGrant]);
        g
    }

    #[test]
    fn account_tier_covers_everything() {
        let g = grants();
        assert!(g.can(UsersView, Scope::Organization));
        assert!(g.can(UsersView, Scope::Member { teams: &[] }));
        assert!(g.can(
            TargetsView,
            Scope::Target {
                id: "X1",
                teams: &[]
            }
        ));
    }

    #[test]
    fn team_tier_covers_its_members_and_targets_only() {
        let g = grants();
        let in_team = ["T1".to_owned()];
        let elsewhere = ["T2".to_owned()];
        assert!(g.can(UsersManage, Scope::Member { teams: &in_team }));
        assert!(!g.can(UsersManage, Scope::Member { teams: &elsewhere }));
        assert!(!g.can(UsersManage, Scope::Organization));
        assert!(g.can(
            TargetsManage,
            Scope::Target {
                id: "X1",
                teams: &in_team
            }
        ));
        assert!(!g.can(
            TargetsManage,
            Scope::Target {
                id: "X1",
                teams: &elsewhere
            }
        ));
        assert!(!g.can(UsersManage, Scope::Team("T2")));
        assert!(g.can(UsersManage, Scope::Team("T1")));
    }

    #[test]
    fn scope_tier_covers_one_target() {
        let g = grants();
        assert!(g.can(
            RolesGrant,
            Scope::Target {
                id: "X9",
                teams: &[]
            }
        ));
        assert!(!g.can(
            RolesGrant,
            Scope::Target {
                id: "X8",
                teams: &[]
            }
        ));
        assert!(!g.can(RolesGrant, Scope::Team("T1")));
        assert!(g.anywhere(RolesGrant));
        assert!(!g.anywhere(OwnerGrant));
    }

    #[test]
    fn covering_needs_each_permission_where_the_other_holds_it() {
        let teams: HashMap<String, Vec<String>> = [("X1".to_owned(), vec!["T1".to_owned()])].into();
        let mut team_admin = Grants::default();
        team_admin.add(Tier::Account, None, None, [UsersView, TargetsView]);
        team_admin.add(
            Tier::Team,
            Some("T1"),
            None,
            [UsersManage, RolesGrant, TargetsManage],
        );

        let mut member = Grants::default();
        member.add(Tier::Account, None, None, [UsersView, TargetsView]);
        member.add(Tier::Team, Some("T1"), None, [UsersView]);
        assert!(team_admin.covers(&member, &teams));

        // Organization-wide power is not covered by the same power at a team.
        let mut org_admin = Grants::default();
        org_admin.add(Tier::Account, None, None, [UsersManage]);
        assert!(!team_admin.covers(&org_admin, &teams));
        assert!(org_admin.covers(&org_admin, &teams));

        // A target reached through one of its teams is covered; another is not.
        let mut on_target = Grants::default();
        on_target.add(Tier::Scope, None, Some("X1"), [TargetsManage]);
        assert!(team_admin.covers(&on_target, &teams));
        let mut elsewhere = Grants::default();
        elsewhere.add(Tier::Scope, None, Some("X2"), [TargetsManage]);
        assert!(!team_admin.covers(&elsewhere, &teams));

        // Another team's power is not covered.
        let mut other_team = Grants::default();
        other_team.add(Tier::Team, Some("T2"), None, [UsersManage]);
        assert!(!team_admin.covers(&other_team, &teams));
        assert!(Grants::everything().covers(&other_team, &teams));
        assert!(team_admin.covers(&Grants::default(), &teams));
    }

    #[test]
    fn malformed_assignments_grant_nothing() {
        let mut g = Grants::default();
        g.add(Tier::Team, None, None, [UsersManage]);
        assert!(!g.anywhere(UsersManage));
        assert!(Grants::everything().can(OwnerGrant, Scope::Organization));
    }
}
