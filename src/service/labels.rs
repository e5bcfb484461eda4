//! Every read and write of user labels goes through here, so each rule and
//! each `changed_by` stamp has exactly one home. Functions run inside the
//! caller's database connection (writes: inside its transaction).

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::labels::{self, LabelFilter, LabelOrdering};
use crate::db::models::{LabelChanges, LabelRow, NewLabel};
use crate::domain::audit::AuditAction;
use crate::domain::label::{LabelColor, LabelName};
use crate::domain::role::Permission;
use crate::domain::{PublicId, time};
use crate::error::{Error, Result, is_unique_violation};
use crate::service::users::Parsed;
use crate::service::{Page, PageRequest, audit};

pub const NAME_TAKEN: &str = "label with this name already exists.";

/// Parsed label fields; `None` leaves a field unchanged (or, on creation,
/// takes its default).
#[derive(Clone, Debug, Default)]
pub struct LabelInput {
    pub name: Option<LabelName>,
    pub color: Option<LabelColor>,
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<LabelRow> {
    caller.require(Permission::UsersView)?;
    find(conn, caller, id)
}

/// Another organization's label and a malformed id are alike: not found.
fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<LabelRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    labels::find_in_organization(conn, caller.organization_id(), id.as_str())?
        .ok_or(Error::NotFound)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: Parsed<(LabelFilter, LabelOrdering)>,
    page: PageRequest,
) -> Result<Page<LabelRow>> {
    caller.require(Permission::UsersView)?;
    let (filter, ordering) = &query.into_result()?;
    let (filter, ordering) = (filter, *ordering);
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| labels::count(c, org, filter),
        |c, offset, limit| Ok(labels::page(c, org, filter, ordering, offset, limit)?),
    )
}

/// Whether `caller` may create labels at all: handlers ask before reading
/// the body, so that a forbidden request is a 403 whatever its body holds.
pub fn authorize_create(caller: &Caller) -> Result<()> {
    caller.require(Permission::LabelsManage)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: Parsed<LabelInput>,
) -> Result<LabelRow> {
    authorize_create(caller)?;
    let Parsed {
        value: input,
        errors,
    } = input;
    errors.into_result()?;
    let now = time::now();
    let actor = caller.actor();
    let id = PublicId::random().into_string();
    let row = NewLabel {
        id: id.clone(),
        organization_id: caller.organization_id().to_owned(),
        name: input.name.expect("required").into_string(),
        color: input.color.map(LabelColor::into_string).unwrap_or_default(),
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
    };
    labels::insert(conn, &row).map_err(name_conflict)?;
    let label = find(conn, caller, &id)?;
    caller.audit(
        conn,
        AuditAction::LabelCreated,
        audit::object("label", &id),
        audit::created(&audit::label_snapshot(&label)),
    )?;
    Ok(label)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    input: Parsed<LabelInput>,
) -> Result<LabelRow> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::LabelsManage)?;
    let Parsed {
        value: input,
        errors,
    } = input;
    errors.into_result()?;
    let actor = caller.actor();
    let changes = LabelChanges {
        name: input.name.map(LabelName::into_string),
        color: input.color.map(LabelColor::into_string),
        changed: Some(time::now()),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
    };
    labels::update(conn, &current.id, &changes).map_err(name_conflict)?;
    let label = find(conn, caller, &current.id)?;
    caller.audit(
        conn,
        AuditAction::LabelUpdated,
        audit::object("label", &label.id),
        audit::diff(
            &audit::label_snapshot(&current),
            &audit::label_snapshot(&label),
        ),
    )?;
    Ok(label)
}

/// Users holding the label lose it.
pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::LabelsManage)?;
    labels::delete(conn, &current.id)?;
    caller.audit(
        conn,
        AuditAction::LabelDeleted,
        audit::object("label", &current.id),
        audit::deleted(&audit::label_snapshot(&current)),
    )
}

/// The database's unique index on (organization, lower(name)) is the one
/// source of truth for duplicate names: no check-then-insert race.
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
