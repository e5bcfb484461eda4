//! The labels a user carries.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::lower;
use crate::db::models::LabelRow;
use crate::db::schema::{labels, user_labels};

/// The labels of `user_ids`, by user then name.
macro_rules! labels_query {
    ($condition:expr) => {
        user_labels::table
            .inner_join(labels::table)
            .filter($condition)
            .select((user_labels::user_id, LabelRow::as_select()))
            .order((user_labels::user_id, lower(labels::name), labels::id))
    };
}

pub fn labels_of(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> QueryResult<Vec<(String, LabelRow)>> {
    // `=` for one user, as in `roles_of`.
    match user_ids {
        [id] => on_backend!(conn, |c| labels_query!(user_labels::user_id.eq(id)).load(c)),
        ids => labels_query!(user_labels::user_id.eq_any(ids)).load(conn),
    }
}

/// Makes the user's labels exactly `label_ids`.
pub fn set_labels(conn: &mut DbConnection, user_id: &str, label_ids: &[String]) -> QueryResult<()> {
    diesel::delete(user_labels::table.filter(user_labels::user_id.eq(user_id))).execute(conn)?;
    for label_id in label_ids {
        diesel::insert_into(user_labels::table)
            .values((
                user_labels::user_id.eq(user_id),
                user_labels::label_id.eq(label_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Of `ids`, those naming labels of the organization.
pub fn existing_labels(
    conn: &mut DbConnection,
    organization_id: &str,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    labels::table
        .filter(labels::organization_id.eq(organization_id))
        .filter(labels::id.eq_any(ids))
        .select(labels::id)
        .load(conn)
}
