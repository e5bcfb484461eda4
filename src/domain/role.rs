//! Permissions, built-in roles and the tiers a role is granted at.

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

use super::user::not_a_choice;

/// The fixed permission catalogue (API.md "Roles and permissions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
pub enum Permission {
    #[serde(rename = "users.view")]
    UsersView,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "roles.grant")]
    RolesGrant,
    #[serde(rename = "owner.grant")]
    OwnerGrant,
    #[serde(rename = "labels.manage")]
    LabelsManage,
    #[serde(rename = "teams.manage")]
    TeamsManage,
    #[serde(rename = "roles.manage")]
    RolesManage,
    #[serde(rename = "targets.view")]
    TargetsView,
    #[serde(rename = "targets.manage")]
    TargetsManage,
    #[serde(rename = "keys.manage")]
    KeysManage,
    #[serde(rename = "account.manage")]
    AccountManage,
    #[serde(rename = "billing.manage")]
    BillingManage,
    #[serde(rename = "audit.view")]
    AuditView,
    #[serde(rename = "access_review.view")]
    AccessReviewView,
    #[serde(rename = "webhooks.manage")]
    WebhooksManage,
    #[serde(rename = "scim.provision")]
    ScimProvision,
    #[serde(rename = "tokens.introspect")]
    TokensIntrospect,
    #[serde(rename = "authz.check")]
    AuthzCheck,
    #[serde(rename = "sso.manage")]
    SsoManage,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Permission::UsersView,
        Permission::UsersManage,
        Permission::RolesGrant,
        Permission::OwnerGrant,
        Permission::LabelsManage,
        Permission::TeamsManage,
        Permission::RolesManage,
        Permission::TargetsView,
        Permission::TargetsManage,
        Permission::KeysManage,
        Permission::AccountManage,
        Permission::BillingManage,
        Permission::AuditView,
        Permission::AccessReviewView,
        Permission::WebhooksManage,
        Permission::ScimProvision,
        Permission::TokensIntrospect,
        Permission::AuthzCheck,
        Permission::SsoManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersView => "users.view",
            Permission::UsersManage => "users.manage",
            Permission::RolesGrant => "roles.grant",
            Permission::OwnerGrant => "owner.grant",
            Permission::LabelsManage => "labels.manage",
            Permission::TeamsManage => "teams.manage",
            Permission::RolesManage => "roles.manage",
            Permission::TargetsView => "targets.view",
            Permission::TargetsManage => "targets.manage",
            Permission::KeysManage => "keys.manage",
            Permission::AccountManage => "account.manage",
            Permission::BillingManage => "billing.manage",
            Permission::AuditView => "audit.view",
            Permission::AccessReviewView => "access_review.view",
            Permission::WebhooksManage => "webhooks.manage",
            Permission::ScimProvision => "scim.provision",
            Permission::TokensIntrospect => "tokens.introspect",
            Permission::AuthzCheck => "authz.check",
            Permission::SsoManage => "sso.manage",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| not_a_choice(raw))
    }

    /// What the permission grants (API.md's catalogue).
    pub fn description(self) -> &'static str {
        match self {
            Permission::UsersView => "Read users, API users, labels, teams and roles.",
            Permission::UsersManage => {
                "Create, update, deactivate and delete users and API users; assign labels."
            }
            Permission::RolesGrant => "Grant and remove any role except OWNER.",
            Permission::OwnerGrant => "Grant and remove OWNER; act on a user who is an OWNER.",
            Permission::LabelsManage => "Create, update and delete labels.",
            Permission::TeamsManage => "Create, update and delete teams.",
            Permission::RolesManage => "Create, update and delete custom roles.",
            Permission::TargetsView => "Read targets.",
            Permission::TargetsManage => "Create, update and delete targets.",
            Permission::KeysManage => "Manage API users' keys (own keys need no permission).",
            Permission::AccountManage => "Change the organization's settings.",
            Permission::BillingManage => "Manage billing settings.",
            Permission::AuditView => "Read audit events.",
            Permission::AccessReviewView => "Read the access review.",
            Permission::WebhooksManage => "Manage webhooks.",
            Permission::ScimProvision => "Use the SCIM provisioning endpoints.",
            Permission::TokensIntrospect => {
                "Introspect tokens and API keys of the organization (RFC 7662)."
            }
            Permission::AuthzCheck => {
                "Ask whether a user may do something where, and who may (/authz/)."
            }
            Permission::SsoManage => "Manage single sign-on connections (/sso/connections/).",
        }
    }

    /// Permissions a custom role may never hold: they stay with OWNER (and BILLING).
    pub fn reserved(self) -> bool {
        matches!(self, Permission::OwnerGrant | Permission::BillingManage)
    }
}

/// The permissions a role holds (stored as one space-separated list).
#[derive(Clone, Debug, Default, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn into_inner(self) -> BTreeSet<Permission> {
        self.0
    }
}

impl From<BTreeSet<Permission>> for PermissionSet {
    fn from(set: BTreeSet<Permission>) -> Self {
        Self(set)
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The built-in roles. Their rows in the `roles` table have these fixed ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum BuiltinRole {
    Owner,
    Admin,
    Employee,
    Viewer,
    Auditor,
    Billing,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 6] = [
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::Employee,
        BuiltinRole::Viewer,
        BuiltinRole::Auditor,
        BuiltinRole::Billing,
    ];

    pub fn id(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "RoLeowner1Xy",
            BuiltinRole::Admin => "RoLeadmin2Xy",
            BuiltinRole::Employee => "RoLemp1oyeeX",
            BuiltinRole::Viewer => "RoLeviewerXy",
            BuiltinRole::Auditor => "RoLeauditorX",
            BuiltinRole::Billing => "RoLebi11ingX",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "OWNER",
            BuiltinRole::Admin => "ADMIN",
            BuiltinRole::Employee => "EMPLOYEE",
            BuiltinRole::Viewer => "VIEWER",
            BuiltinRole::Auditor => "AUDITOR",
            BuiltinRole::Billing => "BILLING",
        }
    }

    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn by_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// Exactly API.md's table.
    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            BuiltinRole::Owner => Permission::ALL.to_vec(),
            BuiltinRole::Admin => Permission::ALL
                .into_iter()
                .filter(|p| !matches!(p, OwnerGrant | BillingManage))
                .collect(),
            BuiltinRole::Employee | BuiltinRole::Viewer => vec![UsersView, TargetsView],
            BuiltinRole::Auditor => vec![
                UsersView,
                TargetsView,
                AuditView,
                AccessReviewView,
                AuthzCheck,
            ],
            BuiltinRole::Billing => vec![BillingManage],
        }
    }

    /// Every user holds exactly one of these at account tier.
    pub fn is_membership(self) -> bool {
        !matches!(self, BuiltinRole::Billing)
    }

    /// OWNER and BILLING exist only at account tier.
    pub fn account_tier_only(self) -> bool {
        matches!(self, BuiltinRole::Owner | BuiltinRole::Billing)
    }
}

pub const ROLE_NAME_MAX: usize = 100;
pub const ROLE_DESCRIPTION_MAX: usize = 1000;

/// A custom role's name: 1 to 100 characters, not a built-in role's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = super::text::one_line_name(raw, ROLE_NAME_MAX)?;
        if BuiltinRole::by_name(&value.to_uppercase()).is_some() {
            return Err(format!("\"{value}\" is the name of a built-in role."));
        }
        Ok(Self(value))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A role's description: at most 1000 characters.
pub fn parse_description(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > ROLE_DESCRIPTION_MAX {
        return Err(super::user::too_long(ROLE_DESCRIPTION_MAX));
    }
    Ok(value.to_owned())
}

/// The permission set of a custom role: known names, none reserved.
pub fn parse_custom_permissions(names: &[String]) -> Result<BTreeSet<Permission>, Vec<String>> {
    let mut set = BTreeSet::new();
    let mut errors = Vec::new();
    for name in names {
        match Permission::parse(name) {
            Ok(p) if p.reserved() => errors.push(format!("A custom role cannot hold \"{name}\".")),
            Ok(p) => {
                set.insert(p);
            }
            Err(m) => errors.push(m),
        }
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// Where a role assignment applies.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The whole organization.
    Account,
    /// One team: its members and its targets.
    Team,
    /// One target.
    Scope,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Account => "account",
            Tier::Team => "team",
            Tier::Scope => "scope",
        }
    }

    /// `target` is accepted as an alias of `scope` on input.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "account" => Ok(Tier::Account),
            "team" => Ok(Tier::Team),
            "scope" | "target" => Ok(Tier::Scope),
            _ => Err(not_a_choice(raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Ok(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert!(Permission::parse("users.delete").is_err());
    }

    #[test]
    fn builtin_table_matches_api_md() {
        use Permission::*;
        assert_eq!(BuiltinRole::Owner.permissions().len(), 19);
        let admin = BuiltinRole::Admin.permissions();
        assert_eq!(admin.len(), 17);
        assert!(admin.contains(&SsoManage));
        assert!(admin.contains(&TokensIntrospect) && admin.contains(&AuthzCheck));
        assert!(!admin.contains(&OwnerGrant) && !admin.contains(&BillingManage));
        assert_eq!(
            BuiltinRole::Auditor.permissions(),
            vec![
                UsersView,
                TargetsView,
                AuditView,
                AccessReviewView,
                AuthzCheck
            ]
        );
        assert_eq!(BuiltinRole::Billing.permissions(), vec![BillingManage]);
        assert!(!BuiltinRole::Billing.is_membership());
        assert!(BuiltinRole::Owner.account_tier_only());
        assert!(!BuiltinRole::Admin.account_tier_only());
    }

    #[test]
    fn builtin_ids_are_public_ids() {
        for r in BuiltinRole::ALL {
            assert!(
                crate::domain::id::PublicId::parse(r.id()).is_some(),
                "{r:?}"
            );
            assert_eq!(BuiltinRole::by_name(r.name()), Some(r));
            assert_eq!(BuiltinRole::by_id(r.id()), Some(r));
        }
    }

    #[test]
    fn custom_roles_cannot_hold_reserved_permissions_or_builtin_names() {
        let ok = parse_custom_permissions(&[
            "users.view".into(),
            "users.view".into(),
            "teams.manage".into(),
        ])
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert!(ok.contains(&Permission::UsersView) && ok.contains(&Permission::TeamsManage));
        let err = parse_custom_permissions(&[
            "owner.grant".into(),
            "nope".into(),
            "billing.manage".into(),
        ])
        .unwrap_err();
        assert_eq!(err.len(), 3);
        assert!(RoleName::parse("owner").is_err());
        assert!(RoleName::parse(" Team lead ").is_ok());
        assert!(RoleName::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn tier_accepts_target_alias() {
        assert_eq!(Tier::parse("target"), Ok(Tier::Scope));
        assert_eq!(Tier::parse("scope"), Ok(Tier::Scope));
        assert!(Tier::parse("Account").is_err());
    }
}
