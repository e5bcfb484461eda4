//! The tools' arguments and results in Probo's names (seed "Users", API.md
//! section 4). Their JSON Schemas are what `tools/list` publishes.

use rmcp::schemars::{self, JsonSchema};
use serde::{Deserialize, Deserializer, Serialize};

use crate::db::models::{UserDetail, UserRoleDetail};
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::time;
use crate::domain::user::{Source, State};

/// A field that must be present but may be `null` (the seed's "required,
/// string | null"): serde's default would take a missing field as `null`.
fn required_nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::deserialize(d)
}

/// An optional field where `null` differs from absence: `Some(None)` clears.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::deserialize(d).map(Some)
}

/// Controls what actions a user can perform within an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum MembershipRole {
    Owner,
    Admin,
    Employee,
    Viewer,
    Auditor,
}

impl MembershipRole {
    pub fn builtin(self) -> BuiltinRole {
        match self {
            MembershipRole::Owner => BuiltinRole::Owner,
            MembershipRole::Admin => BuiltinRole::Admin,
            MembershipRole::Employee => BuiltinRole::Employee,
            MembershipRole::Viewer => BuiltinRole::Viewer,
            MembershipRole::Auditor => BuiltinRole::Auditor,
        }
    }

    fn of(role: BuiltinRole) -> Option<Self> {
        Some(match role {
            BuiltinRole::Owner => MembershipRole::Owner,
            BuiltinRole::Admin => MembershipRole::Admin,
            BuiltinRole::Employee => MembershipRole::Employee,
            BuiltinRole::Viewer => MembershipRole::Viewer,
            BuiltinRole::Auditor => MembershipRole::Auditor,
            BuiltinRole::Billing => return None,
        })
    }
}

/// Where a user's lifecycle stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProfileState {
    Pending,
    Active,
    Deactivated,
}

impl ProfileState {
    pub fn state(self) -> State {
        match self {
            ProfileState::Pending => State::Pending,
            ProfileState::Active => State::Active,
            ProfileState::Deactivated => State::Deactivated,
        }
    }

    fn of(state: State) -> Self {
        match state {
            State::Pending => ProfileState::Pending,
            State::Active => ProfileState::Active,
            State::Deactivated => ProfileState::Deactivated,
        }
    }
}

/// How the user came to exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProfileSource {
    Manual,
    Scim,
    Oidc,
    Saml,
}

/// The user's membership of its organization: its one membership role.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Membership {
    /// Id of the membership (the id of the membership role assignment in REST's `user_roles`).
    pub id: String,
    pub role: MembershipRole,
    /// When the membership was created (ISO 8601 UTC).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

impl Membership {
    /// The membership among a user's role assignments, if it is there.
    pub fn among(roles: &[UserRoleDetail]) -> Option<Self> {
        roles.iter().find_map(|r| {
            let role = MembershipRole::of(BuiltinRole::by_id(&r.role_id)?)?;
            (r.tier == Tier::Account).then(|| Membership {
                id: r.id.clone(),
                role,
                created_at: time::format(&r.created),
            })
        })
    }
}

/// A person, through Probo's field names.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Profile {
    /// Id of the profile (the REST user id).
    pub id: String,
    /// Id of the organization this profile belongs to.
    pub organization_id: String,
    pub full_name: String,
    /// Primary email address.
    pub email_address: String,
    pub additional_email_addresses: Vec<String>,
    /// employee, contractor, service_account or null.
    pub kind: Option<String>,
    /// Job title or position.
    pub position: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub contract_start_date: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub contract_end_date: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    pub state: ProfileState,
    pub source: ProfileSource,
    /// The membership role assignment (null only for a user that has lost it).
    pub membership: Option<Membership>,
}

impl From<UserDetail> for Profile {
    fn from(d: UserDetail) -> Self {
        let membership = Membership::among(&d.roles);
        let u = d.user;
        Self {
            state: ProfileState::of(State::derive(
                u.active,
                u.password_hash.is_some() || u.source.signs_in_elsewhere(),
                u.is_apiuser,
            )),
            source: match u.source {
                Source::Manual => ProfileSource::Manual,
                Source::Scim => ProfileSource::Scim,
                Source::Oidc => ProfileSource::Oidc,
                Source::Saml => ProfileSource::Saml,
            },
            additional_email_addresses: u.additional_emails(),
            contract_start_date: u.contract_start_date.as_ref().map(time::format),
            contract_end_date: u.contract_end_date.as_ref().map(time::format),
            created_at: time::format(&u.created),
            updated_at: time::format(&u.changed),
            id: u.id,
            organization_id: u.organization_id,
            full_name: u.name,
            email_address: u.email,
            kind: u.kind.map(|k| k.as_str().to_owned()),
            position: u.position,
            membership,
        }
    }
}

/// `{user}`: the answer of getUser, createUser, updateUser, deactivateUser.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserResult {
    pub user: Profile,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserList {
    pub users: Vec<Profile>,
    /// Cursor for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedUser {
    pub deleted_user_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct InvitationResult {
    pub invitation_id: String,
    /// Only without SMTP (development mode): the link to hand to the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MembershipResult {
    pub membership: Membership,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderField {
    #[default]
    CreatedAt,
    FullName,
    EmailAddress,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// Sort order (default CREATED_AT DESC; ties are broken by id). FULL_NAME and
/// EMAIL_ADDRESS ignore case and accents.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
pub struct OrderBy {
    #[serde(default)]
    pub field: OrderField,
    #[serde(default)]
    pub direction: OrderDirection,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub struct UserFilterArgs {
    /// Case-insensitive substring of the full name, email address or position.
    pub query: Option<String>,
    /// Only users with this membership role.
    pub role: Option<MembershipRole>,
    /// Only users in one of these states.
    pub states: Option<Vec<ProfileState>>,
    /// Only users of this kind (employee, contractor or service_account).
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListUsersArgs {
    /// Id of the organization.
    pub organization_id: String,
    /// Number of results per page: default 20, at most 100 (larger values are capped).
    pub size: Option<i64>,
    /// Pagination cursor from a previous response's next_cursor.
    pub cursor: Option<String>,
    pub order_by: Option<OrderBy>,
    pub filter: Option<UserFilterArgs>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetUserArgs {
    /// Id of the profile.
    pub id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateUserArgs {
    /// Id of the organization.
    pub organization_id: String,
    pub full_name: String,
    /// Primary email address.
    pub email_address: String,
    /// Membership role for the new user.
    pub role: MembershipRole,
    /// employee, contractor, service_account or null.
    #[serde(deserialize_with = "required_nullable")]
    #[schemars(required, extend("type" = ["string", "null"]))]
    pub kind: Option<String>,
    pub additional_email_addresses: Option<Vec<String>>,
    pub position: Option<String>,
    /// Contract start date (ISO 8601).
    pub contract_start_date: Option<String>,
    /// Contract end date (ISO 8601).
    pub contract_end_date: Option<String>,
}

/// The seed's required fields must be sent; omitted optional fields keep
/// their values and an explicit `null` clears them.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateUserArgs {
    /// Id of the profile to update.
    pub id: String,
    pub full_name: String,
    /// employee, contractor, service_account or null.
    #[serde(deserialize_with = "required_nullable")]
    #[schemars(required, extend("type" = ["string", "null"]))]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub additional_email_addresses: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub position: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub contract_start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub contract_end_date: Option<Option<String>>,
}

/// A profile of an organization (removeUser, deactivateUser).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProfileArgs {
    /// Id of the organization.
    pub organization_id: String,
    /// Id of the profile.
    pub profile_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateMembershipArgs {
    /// Id of the organization.
    pub organization_id: String,
    /// Id of the membership to update.
    pub membership_id: String,
    /// New role to assign.
    pub role: MembershipRole,
}
