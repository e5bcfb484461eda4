//! Custom roles (built-in roles are read-only).

use std::collections::BTreeSet;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::models::RoleRow;
use crate::db::roles::{self, NewRole, RoleChanges};
use crate::domain::audit::AuditAction;
use crate::domain::role::{Permission, PermissionSet, RoleName};
use crate::domain::{PublicId, time};
use crate::error::{Error, Result, is_unique_violation};
use crate::service::{Page, PageRequest, Parsed, audit};

pub const NAME_TAKEN: &str = "role with this name already exists.";
pub const BUILTIN_READ_ONLY: &str = "Built-in roles are read-only.";

/// Parsed role fields; `None` leaves a field unchanged.
#[derive(Clone, Debug, Default)]
pub struct RoleInput {
    pub name: Option<RoleName>,
    pub description: Option<String>,
    pub permissions: Option<BTreeSet<Permission>>,
    /// The longest it may be requested for, in seconds; `Some(None)` clears it.
    pub max_duration: Option<Option<i64>>,
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<RoleRow> {
    caller.require(Permission::UsersView)?;
    find(conn, caller, id)
}

/// The organization's roles (built-in ones included), searched by name.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<(Option<String>, (roles::RoleOrderField, bool))>,
    page: PageRequest,
) -> Result<Page<RoleRow>> {
    caller.require(Permission::UsersView)?;
    let (search, order) = query.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| roles::count(c, org, search.as_deref()),
        |c, offset, limit| {
            Ok(roles::page(
                c,
                org,
                search.as_deref(),
                order,
                offset,
                limit,
            )?)
        },
    )
}

fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<RoleRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    roles::find_assignable(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

/// No escalation through roles: a caller may only put into a role
/// permissions it holds itself.
fn authorize_permissions(
    caller: &Caller,
    permissions: Option<&BTreeSet<Permission>>,
) -> Result<()> {
    permissions
        .into_iter()
        .flatten()
        .try_for_each(|p| caller.require(*p))
}

/// Whether `caller` may create custom roles at all: handlers ask before reading
/// the body, so that a forbidden request is a 403 whatever its body holds.
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::RolesManage)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<RoleInput>,
) -> Result<RoleRow> {
    authorize_create(caller)?;
    authorize_permissions(caller, input.value.permissions.as_ref())?;
    input.errors.into_result()?;
    let value = input.value;
    let now = time::now();
    let id = PublicId::random().into_string();
    roles::insert(
        conn,
        &NewRole {
            id: id.clone(),
            organization_id: Some(caller.organization_id().to_owned()),
            name: value.name.expect("required").into_string(),
            description: value.description.unwrap_or_default(),
            permissions: value.permissions.unwrap_or_default().into(),
            builtin: false,
            created: now,
            changed: now,
            max_duration: value.max_duration.flatten(),
        },
    )
    .map_err(name_conflict)?;
    let role = find(conn, caller, &id)?;
    caller.audit(
        conn,
        AuditAction::RoleCreated,
        audit::object("role", &id),
        audit::created(&audit::role_snapshot(&role)),
    )?;
    Ok(role)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    input: Parsed<RoleInput>,
) -> Result<RoleRow> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::RolesManage)?;
    if current.builtin {
        return Err(Error::BadRequest(BUILTIN_READ_ONLY.into()));
    }
    authorize_permissions(caller, input.value.permissions.as_ref())?;
    input.errors.into_result()?;
    let value = input.value;
    let changes = RoleChanges {
        name: value.name.map(RoleName::into_string),
        description: value.description,
        permissions: value.permissions.clone().map(PermissionSet::from),
        changed: time::now(),
        max_duration: value.max_duration,
    };
    roles::update(conn, &current.id, &changes).map_err(name_conflict)?;
    let role = find(conn, caller, &current.id)?;
    caller.audit(
        conn,
        AuditAction::RoleUpdated,
        audit::object("role", &role.id),
        audit::diff(
            &audit::role_snapshot(&current),
            &audit::role_snapshot(&role),
        ),
    )?;
    Ok(role)
}

pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::RolesManage)?;
    if current.builtin {
        return Err(Error::BadRequest(BUILTIN_READ_ONLY.into()));
    }
    let holders = roles::holders(conn, &current.id)?;
    if holders > 0 {
        let users = if holders == 1 {
            "1 user holds"
        } else {
            &format!("{holders} users hold")
        };
        return Err(Error::non_field(format!(
            "This role cannot be deleted: {users} it. Remove those assignments first."
        )));
    }
    roles::delete(conn, &current.id)?;
    caller.audit(
        conn,
        AuditAction::RoleDeleted,
        audit::object("role", &current.id),
        audit::deleted(&audit::role_snapshot(&current)),
    )
}

fn name_conflict(e: diesel::result::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict {
            field: "name",
            message: NAME_TAKEN,
        }
    } else {
        e.into()
    }
}
