//! Rows as stored, and the insert/update forms that write them. API views are
//! built from these in `api/`, so the wire format can change without a migration.

use crate::domain::dormancy::DormantAction;
use crate::domain::role::{PermissionSet, Tier};
use crate::domain::user::{Kind, Source, Title};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use super::stored::StoredTime;

/// Who made the last change to an object, as recorded on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedBy {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// `changed_by()` for rows that keep a snapshot of their last author in
/// `changed_by_id`, `changed_by_email` and `changed_by_name`.
macro_rules! changed_by_snapshot {
    ($($row:ty),+) => {$(
        impl $row {
            pub fn changed_by(&self) -> ChangedBy {
                ChangedBy {
                    id: self.changed_by_id.clone(),
                    email: self.changed_by_email.clone(),
                    name: self.changed_by_name.clone(),
                }
            }
        }
    )+};
}

changed_by_snapshot!(
    UserRow,
    LabelRow,
    TeamRow,
    TargetRow,
    super::invitations::InvitationRow
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub dormant_after_days: Option<i32>,
    pub dormant_action: DormantAction,
}

/// `Debug` leaves the password hash and the MFA secret out, so that logging
/// a user never leaks them.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub name: String,
    pub title: Title,
    pub active: bool,
    pub is_apiuser: bool,
    pub is_system: bool,
    pub password_hash: Option<String>,
    pub token_version: i32,
    pub mfa_enabled: bool,
    pub mfa_secret: Option<String>,
    pub last_login: Option<NaiveDateTime>,
    pub source: Source,
    pub kind: Option<Kind>,
    pub position: Option<String>,
    pub additional_email_addresses: String,
    pub contract_start_date: Option<NaiveDateTime>,
    pub contract_end_date: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTime)]
    pub created: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
    /// SCIM `externalId`: the provisioning client's own identifier.
    pub external_id: Option<String>,
    /// SCIM attributes Tessera's columns cannot hold, as the IdP wrote them
    /// (JSON, see `scim::users`).
    pub scim_profile: Option<String>,
    /// SCIM `userName` as the IdP sent it; unset, the e-mail is the userName.
    pub scim_user_name: Option<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("email", &self.email)
            .field("active", &self.active)
            .field("is_apiuser", &self.is_apiuser)
            .field("is_system", &self.is_system)
            .field("mfa_enabled", &self.mfa_enabled)
            .finish_non_exhaustive()
    }
}

impl UserRow {
    pub fn additional_emails(&self) -> Vec<String> {
        serde_json::from_str(&self.additional_email_addresses).unwrap_or_default()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct UserInsert {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub name: String,
    pub title: Title,
    pub active: bool,
    pub is_apiuser: bool,
    pub is_system: bool,
    pub password_hash: Option<String>,
    pub source: Source,
    pub kind: Option<Kind>,
    pub position: Option<String>,
    pub additional_email_addresses: String,
    pub contract_start_date: Option<NaiveDateTime>,
    pub contract_end_date: Option<NaiveDateTime>,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

/// A partial update: `None` leaves a column as it is; for nullable columns
/// `Some(None)` clears it.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<Title>,
    pub active: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub kind: Option<Option<Kind>>,
    pub position: Option<Option<String>>,
    pub additional_email_addresses: Option<String>,
    pub contract_start_date: Option<Option<NaiveDateTime>>,
    pub contract_end_date: Option<Option<NaiveDateTime>>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = labels)]
pub struct LabelRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub color: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub organization_id: Option<String>,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
    pub builtin: bool,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    /// The longest it may be requested for, in seconds (none: no limit of its own).
    pub max_duration: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = user_roles)]
pub struct NewUserRole {
    pub id: String,
    pub user_id: String,
    pub role_id: String,
    pub tier: Tier,
    pub team_id: Option<String>,
    pub target_id: Option<String>,
    pub created: NaiveDateTime,
    pub starts: Option<NaiveDateTime>,
    pub expires: Option<NaiveDateTime>,
}

/// A role assignment with the names a view shows.
#[derive(Queryable, Clone, Debug)]
pub struct UserRoleDetail {
    pub id: String,
    pub user_id: String,
    pub tier: Tier,
    #[diesel(deserialize_as = StoredTime)]
    pub created: NaiveDateTime,
    pub role_id: String,
    pub role_name: String,
    pub role_permissions: PermissionSet,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub starts: Option<NaiveDateTime>,
    pub expires: Option<NaiveDateTime>,
}

/// A user with what its view embeds.
#[derive(Clone, Debug)]
pub struct UserDetail {
    pub user: UserRow,
    pub labels: Vec<LabelRow>,
    pub roles: Vec<UserRoleDetail>,
}

#[derive(Insertable)]
#[diesel(table_name = labels)]
pub struct NewLabel {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub color: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

/// A partial update of a label: `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = labels)]
pub struct LabelChanges {
    pub name: Option<String>,
    pub color: Option<String>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub description: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
    /// SCIM `externalId` of the team (Group).
    pub external_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub description: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
    pub external_id: Option<String>,
}

/// A partial update of a team: `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
    pub external_id: Option<Option<String>>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = targets)]
pub struct TargetRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub url: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

#[derive(Insertable)]
#[diesel(table_name = targets)]
pub struct NewTarget {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub url: String,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

/// A partial update of a target: `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = targets)]
pub struct TargetChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
}

/// A target with the ids of its teams, as its view embeds them.
#[derive(Clone, Debug)]
pub struct TargetDetail {
    pub target: TargetRow,
    pub teams: Vec<String>,
}
