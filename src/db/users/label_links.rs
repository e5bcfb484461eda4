//! The labels a user carries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::direct::on_backend;
use crate::db::in_ids::{InIds, distinct};
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

/// For many users (a page of them), each label is read once however many of
/// them hold it: the links come from `user_labels`' own key, then the
/// distinct labels in name order, and each user's labels keep that order.
/// (Joining decoded a label per holder: on a label's page, every user.)
pub fn labels_of(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> QueryResult<Vec<(String, LabelRow)>> {
    // `=` for one user, as in `roles_of`.
    let ids = match user_ids {
        [id] => return on_backend!(conn, |c| labels_query!(user_labels::user_id.eq(id)).load(c)),
        ids => ids,
    };
    let links: Vec<(String, String)> = on_backend!(conn, |c| {
        user_labels::table
            .filter(InIds::new(
                user_labels::user_id,
                ids.iter().map(String::as_str),
            ))
            .select((user_labels::user_id, user_labels::label_id))
            .load(c)
    })?;
    let held = distinct(links.iter().map(|(_, label)| label.as_str()));
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let labels: Vec<LabelRow> = on_backend!(conn, |c| {
        labels::table
            .filter(InIds::new(labels::id, held.iter().copied()))
            .order((lower(labels::name), labels::id))
            .select(LabelRow::as_select())
            .load(c)
    })?;
    let rank: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(at, label)| (label.id.as_str(), at))
        .collect();
    // A link whose label went between the two reads is left out, as the
    // join would have.
    let mut ranked: Vec<(String, usize)> = links
        .into_iter()
        .filter_map(|(user, label)| Some((user, *rank.get(label.as_str())?)))
        .collect();
    ranked.sort_unstable();
    Ok(ranked
        .into_iter()
        .map(|(user, at)| (user, labels[at].clone()))
        .collect())
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
