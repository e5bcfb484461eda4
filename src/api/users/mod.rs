//! `/users/`: people of the caller's organization (Probely "User").

pub mod bulk_delete;
pub mod bulk_update;
pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

pub use create::create_user;
pub use delete::delete_user;
pub use get::get_user;
pub use list::list_users;
pub use update::{partial_update_user, update_user};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, Schema};

use super::common::{ChangedBy, NamedRef};
use super::extract::{Fields, REQUIRED, reference};
use super::labels::Label;
use crate::api::common::page_view;
use crate::db::models::{UserDetail, UserRoleDetail};
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::time;
use crate::domain::user::{self, Email, Kind, Source, State, Title, UserName};
use crate::error::{Collect, FieldErrors};
use crate::service::users::{AssignmentInput, Parsed, UserField, UserPatch};

/// Where a role assignment applies.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RoleScope {
    pub tier: Tier,
}

/// A role held by a user, at a tier (account, team or scope).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct UserRole {
    /// Id of this assignment (the membership id in the MCP view).
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub role: NamedRef,
    pub scope: RoleScope,
    /// The team of a team-tier assignment.
    pub team: Option<NamedRef>,
    /// The target of a scope-tier assignment.
    pub target: Option<NamedRef>,
    /// When the assignment comes into force; null: since it was made.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts: Option<NaiveDateTime>,
    /// When it ends; null: never. Outside its window an assignment grants
    /// nothing (judged at each request); once expired, the scheduler removes
    /// it (audit `role.expired`, webhook `membership.expired`).
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires: Option<NaiveDateTime>,
}

impl From<UserRoleDetail> for UserRole {
    fn from(r: UserRoleDetail) -> Self {
        let named = |id: Option<String>, name: Option<String>| {
            id.map(|id| NamedRef {
                id,
                name: name.unwrap_or_default(),
            })
        };
        Self {
            id: r.id,
            role: NamedRef {
                id: r.role_id,
                name: r.role_name,
            },
            scope: RoleScope { tier: r.tier },
            team: named(r.team_id, r.team_name),
            target: named(r.target_id, r.target_name),
            starts: r.starts,
            expires: r.expires,
        }
    }
}

/// A user: Probely's "Retrieve User" schema plus Probo's profile fields.
#[derive(Serialize, ToSchema, Clone, Debug)]
#[schema(as = User)]
pub struct UserView {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12, example = "3aGsWt9oZb2Q")]
    pub id: String,
    /// Email of the user; unique in the organization, compared case-insensitively. Stored in NFC with its domain IDNA-encoded (punycode, lowercase).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Name of the user.
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// Job title: ceo, cto, cso, seceng, dev, devop, manager, other or "".
    pub title: Title,
    /// If true, the user has permissions to manage billing (holds OWNER or BILLING at account tier). Read-only.
    pub is_billing_admin: bool,
    pub changed_by: ChangedBy,
    /// Date and time of the last change, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-28T13:27:43.820830Z")]
    pub changed: NaiveDateTime,
    /// If false, the user's access to the apps and the API is blocked (at once, including tokens and keys already issued). Deactivation ends those tokens and API keys for good: reactivating the user does not revive them.
    pub active: bool,
    pub labels: Vec<Label>,
    pub user_roles: Vec<UserRole>,
    /// Date and time of the last login of the user, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login: Option<NaiveDateTime>,
    /// If true, an application that uses the API (see /api-users/); false for a person.
    pub is_apiuser: bool,
    /// True once the user has enrolled TOTP multi-factor authentication.
    pub mfa_enabled: bool,
    /// PENDING until the user has a password, ACTIVE, or DEACTIVATED (iff not active).
    pub state: State,
    /// How the user was created.
    pub source: Source,
    /// When the user was created, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    /// Kind of user (Probo).
    pub kind: Option<Kind>,
    /// Job title or position, free text (Probo).
    #[schema(max_length = 255)]
    pub position: Option<String>,
    /// Additional email addresses (Probo).
    pub additional_email_addresses: Vec<String>,
    /// Contract or employment start date.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub contract_start_date: Option<NaiveDateTime>,
    /// Contract or employment end date.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub contract_end_date: Option<NaiveDateTime>,
}

impl From<UserDetail> for UserView {
    fn from(d: UserDetail) -> Self {
        let u = d.user;
        let is_billing_admin = d.roles.iter().any(|r| {
            r.tier == Tier::Account
                && (r.role_id == BuiltinRole::Owner.id() || r.role_id == BuiltinRole::Billing.id())
        });
        Self {
            state: State::derive(
                u.active,
                u.password_hash.is_some() || u.source.signs_in_elsewhere(),
                u.is_apiuser,
            ),
            changed_by: u.changed_by().into(),
            additional_email_addresses: u.additional_emails(),
            title: u.title,
            source: u.source,
            kind: u.kind,
            is_billing_admin,
            labels: d.labels.into_iter().map(Label::from).collect(),
            user_roles: d.roles.into_iter().map(UserRole::from).collect(),
            id: u.id,
            email: u.email,
            name: u.name,
            changed: u.changed,
            active: u.active,
            last_login: u.last_login,
            is_apiuser: u.is_apiuser,
            mfa_enabled: u.mfa_enabled,
            created: u.created,
            position: u.position,
            contract_start_date: u.contract_start_date,
            contract_end_date: u.contract_end_date,
        }
    }
}

page_view! {
    /// A page of users.
    UserPage of UserView, "Number of users matching the query."
}

/// A role assignment on input. `scope.tier` is `account`, `team` or `scope`
/// (`target` is accepted as an alias of `scope`); when `scope` is omitted the
/// tier is inferred: `scope` with a target, `team` with a team, else `account`.
#[derive(ToSchema)]
#[schema(as = UserRoleInput)]
pub struct UserRoleInputDoc {
    #[schema(schema_with = role_reference_schema)]
    pub role: String,
    #[schema(schema_with = scope_schema)]
    pub scope: Option<String>,
    #[schema(schema_with = team_reference_schema)]
    pub team: Option<String>,
    #[schema(schema_with = target_reference_schema)]
    pub target: Option<String>,
    /// When the assignment comes into force (RFC 3339; null or absent: at
    /// once).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts: Option<String>,
    /// When it ends (RFC 3339; null or absent: never). Must be after
    /// `starts`, and in the future unless the assignment already has this
    /// very window. Not allowed on the membership role (OWNER, ADMIN,
    /// EMPLOYEE, VIEWER, AUDITOR at account tier): set the user's
    /// `contract_end_date` instead. Changing a window is granting the role
    /// again: it needs what adding the role needs.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires: Option<String>,
}

/// How a body names an object (what [`reference`] reads): its id as a
/// string, or an object `{"id": ...}`; `null` as well when `nullable`.
fn reference_schema(description: &str, nullable: bool) -> Schema {
    use utoipa::openapi::ObjectBuilder;
    use utoipa::openapi::schema::{AnyOfBuilder, Type};
    let mut any_of = AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(
            ObjectBuilder::new()
                .property("id", ObjectBuilder::new().schema_type(Type::String))
                .required("id"),
        );
    if nullable {
        any_of = any_of.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    Schema::AnyOf(any_of.description(Some(description)).build())
}

pub(crate) fn role_reference_schema() -> Schema {
    reference_schema(
        "Role id, built-in role name (e.g. \"OWNER\"), or {\"id\": ...}.",
        false,
    )
}

pub(crate) fn team_reference_schema() -> Schema {
    reference_schema("Team id or {\"id\": ...} (team tier).", true)
}

pub(crate) fn target_reference_schema() -> Schema {
    reference_schema("Target id or {\"id\": ...} (scope tier).", true)
}

/// `{"tier": ...}`, the tier alone, or `null` to infer the tier.
pub(crate) fn scope_schema() -> Schema {
    use utoipa::openapi::ObjectBuilder;
    use utoipa::openapi::schema::{AnyOfBuilder, Type};
    let tier = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["account", "team", "scope", "target"]))
    };
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().property("tier", tier()))
            .item(tier())
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some(
                "Where the role applies: `{\"tier\": ...}` or the tier alone, `account` (the organization), `team` or `scope` (a target; `target` is an alias).",
            ))
            .examples([serde_json::json!({"tier": "account"})])
            .build(),
    )
}

/// Writable fields of a user. `email` and `name` are required on POST and
/// PUT; PUT and PATCH leave omitted fields unchanged; `null` clears a
/// nullable field. Read-only fields sent are ignored.
#[derive(ToSchema)]
#[schema(as = UserWrite)]
pub struct UserWriteDoc {
    /// Unique in the organization, compared case-insensitively. Stored in NFC with its domain IDNA-encoded (punycode, lowercase); control, format and default-ignorable characters (zero-width spaces and joiners, soft hyphen, BOM, ...) are refused.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    #[schema(nullable = false)]
    pub title: Option<Title>,
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// Label ids, or objects `{"id": ...}`.
    #[schema(nullable = false)]
    pub labels: Option<Vec<String>>,
    /// Must contain exactly one membership role (OWNER, ADMIN, EMPLOYEE, VIEWER or AUDITOR at account tier). Default on creation: EMPLOYEE.
    #[schema(nullable = false, value_type = Option<Vec<UserRoleInputDoc>>)]
    pub user_roles: Option<Vec<String>>,
    /// employee, contractor or service_account (case-insensitive).
    #[schema(nullable)]
    pub kind: Option<Kind>,
    #[schema(nullable, max_length = 255)]
    pub position: Option<String>,
    #[schema(nullable = false)]
    pub additional_email_addresses: Option<Vec<String>>,
    #[schema(nullable, format = DateTime)]
    pub contract_start_date: Option<String>,
    #[schema(nullable, format = DateTime)]
    pub contract_end_date: Option<String>,
    /// Write-only: sets the user's password: at least 10 characters, one of them a digit or symbol, and hard to guess for this user (zxcvbn score 3 or more, knowing the user's email and name, as stored and as sent: `1111111111`, `password12` and the email itself are refused). Never returned.
    #[schema(nullable = false, write_only, min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

/// Writable fields of an API user: the user write DTO without `password`.
/// Its schema is derived from [`UserWriteDoc`], so the two cannot drift.
pub struct ApiUserWrite;

impl utoipa::PartialSchema for ApiUserWrite {
    fn schema() -> RefOr<Schema> {
        Schema::Object(user_write_without(
            &["password"],
            "Writable fields of an API user: those of a user but `password` (API users \
             authenticate with API keys). `email` and `name` are required on POST and PUT; \
             PUT and PATCH leave omitted fields unchanged; `null` clears a nullable field. \
             Read-only fields sent are ignored.",
        ))
        .into()
    }
}

impl ToSchema for ApiUserWrite {}

/// The user write DTO's object schema with the fields `drop` left out and
/// its own description: every other write of users (API users, bulk
/// updates) documents a subset of the one declaration above.
pub(super) fn user_write_without(drop: &[&str], description: &str) -> Object {
    let RefOr::T(Schema::Object(mut object)) = <UserWriteDoc as utoipa::PartialSchema>::schema()
    else {
        unreachable!("UserWriteDoc derives an object schema")
    };
    object
        .properties
        .retain(|name, _| !drop.contains(&name.as_str()));
    object
        .required
        .retain(|name| !drop.contains(&name.as_str()));
    object.description = Some(description.to_owned());
    object
}

/// The writable fields, by their REST names.
const FIELDS: [(&str, UserField); 12] = [
    ("email", UserField::Email),
    ("name", UserField::Name),
    ("title", UserField::Title),
    ("active", UserField::Active),
    ("labels", UserField::Labels),
    ("user_roles", UserField::UserRoles),
    ("kind", UserField::Kind),
    ("position", UserField::Position),
    (
        "additional_email_addresses",
        UserField::AdditionalEmailAddresses,
    ),
    ("contract_start_date", UserField::ContractStartDate),
    ("contract_end_date", UserField::ContractEndDate),
    ("password", UserField::Password),
];

/// Whether required fields must be present (POST, PUT) or not (PATCH).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Replace,
    Patch,
}

/// Reads the writable user fields of a body (of a person, or of an API user,
/// which has no password). The password comes back apart,
/// still plain, to be hashed before the database transaction.
pub fn parse_user_input(
    fields: &Fields,
    mode: Mode,
    is_apiuser: bool,
) -> (Parsed<UserPatch>, Option<user::Password>) {
    let mut e = FieldErrors::new();
    let mut input = UserPatch {
        named: FIELDS
            .iter()
            .filter(|(key, _)| fields.has(key))
            .map(|(_, field)| *field)
            .collect(),
        ..UserPatch::default()
    };
    if mode != Mode::Patch {
        for key in ["email", "name"] {
            if !fields.has(key) {
                e.add(key, REQUIRED);
            }
        }
    }
    input.email = fields
        .string("email", &mut e)
        .and_then(|s| Email::parse(&s).collect(&mut e, "email"));
    input.name = fields
        .string("name", &mut e)
        .and_then(|s| UserName::parse(&s).collect(&mut e, "name"));
    input.title = fields
        .string("title", &mut e)
        .and_then(|s| Title::parse(&s).collect(&mut e, "title"));
    input.active = fields.boolean("active", &mut e);
    input.kind = fields
        .nullable_string("kind", &mut e)
        .and_then(|k| match k {
            None => Some(None),
            Some(s) => Kind::parse(&s).collect(&mut e, "kind").map(Some),
        });
    input.position = fields
        .nullable_string("position", &mut e)
        .and_then(|p| match p {
            None => Some(None),
            Some(s) => user::parse_position(&s)
                .collect(&mut e, "position")
                .map(|s| (!s.is_empty()).then_some(s)),
        });
    for (key, slot) in [
        ("contract_start_date", &mut input.contract_start_date),
        ("contract_end_date", &mut input.contract_end_date),
    ] {
        *slot = fields.nullable_string(key, &mut e).and_then(|d| match d {
            None => Some(None),
            Some(s) => time::parse(&s).collect(&mut e, key).map(Some),
        });
    }
    input.additional_email_addresses = fields
        .list(
            "additional_email_addresses",
            &mut e,
            user::ADDITIONAL_EMAILS_MAX,
        )
        .and_then(|items| {
            let parsed: Vec<Result<Email, String>> = items
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Email::parse(s),
                    _ => Err("Not a valid string.".into()),
                })
                .collect();
            if parsed.iter().any(Result::is_err) {
                for message in parsed.iter().filter_map(|r| r.as_ref().err()) {
                    e.add("additional_email_addresses", message.clone());
                }
                None
            } else {
                Some(parsed.into_iter().flatten().collect())
            }
        });
    input.labels = fields.list("labels", &mut e, 1000).and_then(|items| {
        let ids: Vec<Option<String>> = items.iter().map(reference).collect();
        if ids.iter().any(Option::is_none) {
            e.add(
                "labels",
                "Each label must be an id or an object with an id.",
            );
            None
        } else {
            Some(ids.into_iter().flatten().collect())
        }
    });
    input.user_roles = fields
        .list("user_roles", &mut e, 1000)
        .map(|items| items.iter().map(assignment_input).collect());
    let password = if is_apiuser {
        if fields.has("password") {
            e.add(
                "password",
                "API users have no password: they authenticate with API keys.",
            );
        }
        None
    } else {
        fields
            .string("password", &mut e)
            .and_then(|p| user::Password::parse(&p).collect(&mut e, "password"))
    };
    (
        Parsed {
            value: input,
            errors: e,
        },
        password,
    )
}

fn assignment_input(item: &serde_json::Value) -> AssignmentInput {
    let get = |key: &str| item.get(key).filter(|v| !v.is_null());
    AssignmentInput {
        role: get("role").and_then(reference),
        // A tier that is not a string reaches Tier::parse as its JSON text,
        // which refuses it (the document's `tier` is a string enum).
        tier: get("scope").and_then(|s| match s {
            serde_json::Value::Object(map) => map.get("tier").map(tier_text),
            other => Some(tier_text(other)),
        }),
        team: get("team").and_then(reference),
        target: get("target").and_then(reference),
        starts: get("starts").map(time_input),
        expires: get("expires").map(time_input),
    }
}

/// A date-time of a role assignment, parsed (or why it is not one).
fn time_input(v: &serde_json::Value) -> Result<NaiveDateTime, String> {
    match v.as_str() {
        Some(raw) => time::parse(raw),
        None => Err("Not a valid string.".to_owned()),
    }
}

fn tier_text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser reads exactly the fields the write DTO documents, and the
    /// derived DTOs are that DTO less what they leave out.
    #[test]
    fn the_parser_and_the_documents_name_the_same_fields() {
        let documented =
            |object: Object| -> Vec<String> { object.properties.keys().cloned().collect() };
        let mut parsed: Vec<String> = FIELDS.iter().map(|(k, _)| (*k).to_owned()).collect();
        parsed.sort();
        assert_eq!(documented(user_write_without(&[], "")), parsed);
        let RefOr::T(Schema::Object(api)) = <ApiUserWrite as utoipa::PartialSchema>::schema()
        else {
            panic!("an object")
        };
        parsed.retain(|k| k != "password");
        assert_eq!(documented(api.clone()), parsed);
        assert_eq!(api.required, ["email", "name"]);
    }
}
