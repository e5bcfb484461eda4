//! `/roles/`: built-in roles (read-only) and the organization's custom roles.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::page_view;
use crate::api::extract::{Fields, REQUIRED, as_string};
use crate::db::models::RoleRow;
use crate::domain::role::{self, Permission, RoleName};
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::roles::RoleInput;

/// A role: a named set of permissions, granted to users at a tier.
#[derive(Serialize, ToSchema, Clone, Debug)]
#[schema(as = Role)]
pub struct RoleView {
    /// A unique Base58 value identifying this object (fixed for built-in roles).
    #[schema(min_length = 12, max_length = 12, example = "RoLeadmin2Xy")]
    pub id: String,
    /// Built-in roles have uppercase names (OWNER, ADMIN, EMPLOYEE, VIEWER, AUDITOR, BILLING).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
    /// True for the built-in roles, which are read-only.
    pub builtin: bool,
    /// The longest this role may be requested for through an access
    /// request, in seconds; null: no limit of its own (365 days at most
    /// still apply). Always null for built-in roles.
    #[schema(minimum = 1, maximum = 31536000)]
    pub max_duration: Option<i64>,
}

impl From<RoleRow> for RoleView {
    fn from(row: RoleRow) -> Self {
        Self {
            permissions: row.permissions.iter().collect(),
            id: row.id,
            name: row.name,
            description: row.description,
            builtin: row.builtin,
            max_duration: row.max_duration,
        }
    }
}

page_view! {
    /// A page of roles.
    RolePage of RoleView, "Number of roles matching the query."
}

/// Writable fields of a custom role. `name` is required on POST and PUT.
/// `permissions` may not contain `owner.grant` or `billing.manage`, nor any
/// permission the caller does not hold.
#[derive(ToSchema)]
#[schema(as = RoleWrite)]
pub struct RoleWriteDoc {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    #[schema(nullable = false, max_length = 1000)]
    pub description: Option<String>,
    #[schema(nullable = false)]
    pub permissions: Option<Vec<Permission>>,
    /// The longest the role may be requested for (access requests), in
    /// seconds, from 1 to 31536000 (365 days); null: no limit of its own.
    #[schema(minimum = 1, maximum = 31536000)]
    pub max_duration: Option<i64>,
}

/// Reads the writable fields of a role; `required` on POST and PUT.
pub fn parse_role_input(fields: &Fields, required: bool) -> Parsed<RoleInput> {
    let mut e = FieldErrors::new();
    if required && !fields.has("name") {
        e.add("name", REQUIRED);
    }
    let name = fields
        .string("name", &mut e)
        .and_then(|s| RoleName::parse(&s).collect(&mut e, "name"));
    let description = fields
        .string("description", &mut e)
        .and_then(|s| role::parse_description(&s).collect(&mut e, "description"));
    let permissions = fields.list("permissions", &mut e, 64).and_then(|items| {
        let names: Option<Vec<String>> = items.iter().map(as_string).collect();
        match names.map(|n| role::parse_custom_permissions(&n)) {
            Some(Ok(set)) => Some(set),
            Some(Err(messages)) => {
                messages.into_iter().for_each(|m| e.add("permissions", m));
                None
            }
            None => {
                e.add("permissions", "Each permission must be a string.");
                None
            }
        }
    });
    let max_duration =
        crate::api::access_requests::nullable_seconds(fields, "max_duration", &mut e).and_then(
            |value| match value {
                None => Some(None),
                Some(seconds) => crate::domain::access_request::parse_max_duration(seconds)
                    .collect(&mut e, "max_duration")
                    .map(Some),
            },
        );
    Parsed {
        value: RoleInput {
            name,
            description,
            permissions,
            max_duration,
        },
        errors: e,
    }
}
