//! Roles: the built-in ones (no organization) and an organization's own.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::RoleRow;
use super::schema::{roles, user_roles};
use super::{DbConnection, contains_pattern, lower};
use crate::domain::role::PermissionSet;

type Backend = <DbConnection as Connection>::Backend;

#[derive(Insertable)]
#[diesel(table_name = roles)]
pub struct NewRole {
    pub id: String,
    pub organization_id: Option<String>,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
    pub builtin: bool,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub max_duration: Option<i64>,
}

#[derive(AsChangeset)]
#[diesel(table_name = roles)]
pub struct RoleChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<PermissionSet>,
    pub changed: NaiveDateTime,
    /// `Some(None)` clears it.
    pub max_duration: Option<Option<i64>>,
}

/// A role the organization may see and assign: built-in, or its own, by id.
pub fn find_assignable(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<RoleRow>> {
    roles::table
        .filter(roles::id.eq(id))
        .filter(
            roles::organization_id
                .eq(organization_id)
                .or(roles::organization_id.is_null()),
        )
        .select(RoleRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &NewRole) -> QueryResult<()> {
    diesel::insert_into(roles::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &RoleChanges) -> QueryResult<()> {
    diesel::update(roles::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(roles::table.find(id))
        .execute(conn)
        .map(drop)
}

/// How many distinct users hold the role, at any tier.
pub fn holders(conn: &mut DbConnection, id: &str) -> QueryResult<i64> {
    user_roles::table
        .filter(user_roles::role_id.eq(id))
        .select(diesel::dsl::count(user_roles::user_id).aggregate_distinct())
        .get_result(conn)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleOrderField {
    Name,
    Created,
    Changed,
}

fn filtered<'a>(
    organization_id: &'a str,
    search: Option<&'a str>,
) -> roles::BoxedQuery<'a, Backend> {
    let mut query = roles::table
        .filter(
            roles::organization_id
                .eq(organization_id)
                .or(roles::organization_id.is_null()),
        )
        .into_boxed();
    if let Some(term) = search {
        query = query.filter(lower(roles::name).like(contains_pattern(term)).escape('\\'));
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    search: Option<&str>,
) -> QueryResult<i64> {
    filtered(organization_id, search).count().get_result(conn)
}

pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    search: Option<&str>,
    (field, descending): (RoleOrderField, bool),
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<RoleRow>> {
    let query = filtered(organization_id, search);
    let query = match (field, descending) {
        (RoleOrderField::Name, false) => query.order((roles::name.asc(), roles::id.asc())),
        (RoleOrderField::Name, true) => query.order((roles::name.desc(), roles::id.desc())),
        (RoleOrderField::Created, false) => query.order((roles::created.asc(), roles::id.asc())),
        (RoleOrderField::Created, true) => query.order((roles::created.desc(), roles::id.desc())),
        (RoleOrderField::Changed, false) => query.order((roles::changed.asc(), roles::id.asc())),
        (RoleOrderField::Changed, true) => query.order((roles::changed.desc(), roles::id.desc())),
    };
    query
        .offset(offset)
        .limit(limit)
        .select(RoleRow::as_select())
        .load(conn)
}
