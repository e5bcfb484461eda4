//! Organizations.

use diesel::prelude::*;

use super::DbConnection;
use super::models::OrganizationRow;
use super::schema::organizations;
use crate::domain::dormancy::DormantAction;

pub fn insert(conn: &mut DbConnection, row: &OrganizationRow) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&row.id),
            organizations::name.eq(&row.name),
            organizations::created.eq(row.created),
            organizations::changed.eq(row.changed),
        ))
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<OrganizationRow> {
    organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
}

pub fn any_exists(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.select(organizations::id),
    ))
    .get_result(conn)
}

/// Organizations whose dormant accounts the scheduler deactivates.
pub fn deactivating_dormant(conn: &mut DbConnection) -> QueryResult<Vec<OrganizationRow>> {
    organizations::table
        .filter(organizations::dormant_after_days.is_not_null())
        .filter(organizations::dormant_action.eq(DormantAction::Deactivate))
        .order(organizations::id)
        .select(OrganizationRow::as_select())
        .load(conn)
}

/// Sets how the organization treats dormant accounts.
pub fn set_dormancy(
    conn: &mut DbConnection,
    id: &str,
    after_days: Option<i32>,
    action: DormantAction,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::dormant_after_days.eq(after_days),
            organizations::dormant_action.eq(action),
            organizations::changed.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn rename(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set((organizations::name.eq(name), organizations::changed.eq(at)))
        .execute(conn)
        .map(drop)
}
