//! Roles: the built-in ones (no organization) and an organization's own.

use diesel::prelude::*;

use super::DbConnection;
use super::models::RoleRow;
use super::schema::roles;

/// A role the organization may assign: built-in, or its own, by id.
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
