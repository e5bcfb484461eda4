//! Organizations and their first members.

use crate::auth::Caller;
use crate::db::models::{NewUserRole, OrganizationRow, UserInsert, UserRow};
use crate::db::{DbConnection, orgs, users};
use crate::domain::audit::AuditAction;
use crate::domain::dormancy::DormantAction;
use crate::domain::role::Permission;
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::user::{Email, Kind, Source, Title, UserName};
use crate::domain::{PublicId, time};
use crate::error::{Error, Result};
use crate::service::{Parsed, audit};

pub const SYSTEM_NAME: &str = "System";

/// Creates an organization, its hidden `System` actor and its first OWNER
/// (attributed to `System`). Runs inside the caller's transaction.
pub fn bootstrap(
    conn: &mut DbConnection,
    context: &audit::RequestContext,
    name: &str,
    owner_email: &Email,
    owner_password_hash: String,
) -> Result<(OrganizationRow, UserRow)> {
    let name = parse_name(name).map_err(|m| Error::field("name", m))?;
    let now = time::now();
    let org = OrganizationRow {
        id: PublicId::random().into_string(),
        name,
        created: now,
        changed: now,
        dormant_after_days: None,
        dormant_action: DormantAction::Flag,
    };
    orgs::insert(conn, &org)?;

    let system_id = PublicId::random().into_string();
    let system_email = format!("system+{}@tessera.invalid", org.id.to_lowercase());
    let base = |id: String, email: String, name: String| UserInsert {
        id,
        organization_id: org.id.clone(),
        email,
        name,
        title: Title::None,
        active: true,
        is_apiuser: false,
        is_system: false,
        password_hash: None,
        source: Source::Manual,
        kind: None,
        position: None,
        additional_email_addresses: "[]".to_owned(),
        contract_start_date: None,
        contract_end_date: None,
        created: now,
        changed: now,
        changed_by_id: system_id.clone(),
        changed_by_email: system_email.clone(),
        changed_by_name: SYSTEM_NAME.to_owned(),
    };
    users::insert(
        conn,
        &UserInsert {
            is_apiuser: true,
            is_system: true,
            ..base(
                system_id.clone(),
                system_email.clone(),
                SYSTEM_NAME.to_owned(),
            )
        },
    )?;

    let owner_id = PublicId::random().into_string();
    let owner_name = owner_email
        .as_str()
        .split('@')
        .next()
        .and_then(|local| UserName::parse(local).ok())
        .map_or_else(|| "Owner".to_owned(), UserName::into_string);
    users::insert(
        conn,
        &UserInsert {
            kind: Some(Kind::Employee),
            password_hash: Some(owner_password_hash),
            ..base(
                owner_id.clone(),
                owner_email.as_str().to_owned(),
                owner_name,
            )
        },
    )?;
    users::insert_role(
        conn,
        &NewUserRole {
            id: PublicId::random().into_string(),
            user_id: owner_id.clone(),
            role_id: BuiltinRole::Owner.id().to_owned(),
            tier: Tier::Account,
            team_id: None,
            target_id: None,
            created: now,
            starts: None,
            expires: None,
        },
    )?;
    let owner = users::find(conn, &owner_id)?.ok_or(Error::NotFound)?;
    audit::record_by_system(
        conn,
        &org.id,
        context,
        AuditAction::OrganizationCreated,
        audit::object("organization", &org.id),
        audit::created(&audit::organization_snapshot(&org)),
    )?;
    let detail = users::detail(conn, owner.clone())?;
    audit::record_by_system(
        conn,
        &org.id,
        context,
        AuditAction::UserCreated,
        audit::object("user", &owner.id),
        audit::created(&audit::user_snapshot(&detail)),
    )?;
    Ok((org, owner))
}

pub const ORG_NAME_MAX: usize = 255;

/// An organization's name: 1 to 255 characters, trimmed.
pub fn parse_name(raw: &str) -> std::result::Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(crate::domain::user::BLANK.into());
    }
    if name.chars().count() > ORG_NAME_MAX || name.chars().any(char::is_control) {
        return Err(crate::domain::user::too_long(ORG_NAME_MAX));
    }
    Ok(name.to_owned())
}

/// The caller's organization.
pub fn get(conn: &mut DbConnection, caller: &Caller) -> Result<OrganizationRow> {
    Ok(orgs::find(conn, caller.organization_id())?)
}

/// Renames the caller's organization (`account.manage`).
/// Whether `caller` may change the organization at all: handlers ask before reading
/// the body, so that a forbidden request is a 403 whatever its body holds.
pub fn authorize_update(caller: &Caller) -> Result<()> {
    caller.require(Permission::AccountManage)
}

/// What a change of the organization may set.
#[derive(Clone, Debug, Default)]
pub struct AccountPatch {
    pub name: Option<String>,
    /// `Some(None)`: no account is ever dormant.
    pub dormant_after_days: Option<Option<i32>>,
    pub dormant_action: Option<DormantAction>,
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    patch: Parsed<AccountPatch>,
) -> Result<OrganizationRow> {
    authorize_update(caller)?;
    let Parsed {
        value: patch,
        errors,
    } = patch;
    errors.into_result()?;
    let before = get(conn, caller)?;
    let now = time::now();
    if let Some(name) = patch.name {
        orgs::rename(conn, caller.organization_id(), &name, now)?;
    }
    if patch.dormant_after_days.is_some() || patch.dormant_action.is_some() {
        orgs::set_dormancy(
            conn,
            caller.organization_id(),
            patch
                .dormant_after_days
                .unwrap_or(before.dormant_after_days),
            patch.dormant_action.unwrap_or(before.dormant_action),
            now,
        )?;
    }
    let after = get(conn, caller)?;
    caller.audit(
        conn,
        AuditAction::OrganizationUpdated,
        audit::object("organization", &after.id),
        audit::diff(
            &audit::organization_snapshot(&before),
            &audit::organization_snapshot(&after),
        ),
    )?;
    Ok(after)
}
