//! User labels of an organization.

use diesel::prelude::*;

use super::models::{LabelChanges, LabelRow, NewLabel};
use super::schema::labels;
use super::{DbConnection, contains_pattern, lower};

type Backend = <DbConnection as Connection>::Backend;

/// Fails with a unique violation when the organization already has a label
/// of that name (compared case-insensitively).
pub fn insert(conn: &mut DbConnection, row: &NewLabel) -> QueryResult<()> {
    diesel::insert_into(labels::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_in_organization(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<LabelRow>> {
    labels::table
        .filter(labels::id.eq(id))
        .filter(labels::organization_id.eq(organization_id))
        .select(LabelRow::as_select())
        .first(conn)
        .optional()
}

/// Fails with a unique violation when the new name is taken.
pub fn update(conn: &mut DbConnection, id: &str, changes: &LabelChanges) -> QueryResult<()> {
    diesel::update(labels::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Users holding the label lose it (`user_labels` cascades).
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(labels::table.find(id))
        .execute(conn)
        .map(drop)
}

/// What a list of labels may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct LabelFilter {
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelOrderField {
    Name,
    Changed,
    Created,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelOrdering {
    pub field: LabelOrderField,
    pub descending: bool,
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a LabelFilter,
) -> labels::BoxedQuery<'a, Backend> {
    let mut query = labels::table
        .filter(labels::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(term) = &filter.search {
        query = query.filter(
            lower(labels::name)
                .like(contains_pattern(term))
                .escape('\\'),
        );
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &LabelFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// One page of labels, ordered with the id as tie-break so pages are stable.
/// Names are unique case-insensitively, so they sort case-insensitively too.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &LabelFilter,
    ordering: LabelOrdering,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<LabelRow>> {
    let query = filtered(organization_id, filter);
    let query = match (ordering.field, ordering.descending) {
        (LabelOrderField::Name, false) => {
            query.order((lower(labels::name).asc(), labels::id.asc()))
        }
        (LabelOrderField::Name, true) => {
            query.order((lower(labels::name).desc(), labels::id.desc()))
        }
        (LabelOrderField::Changed, false) => query.order((labels::changed.asc(), labels::id.asc())),
        (LabelOrderField::Changed, true) => {
            query.order((labels::changed.desc(), labels::id.desc()))
        }
        (LabelOrderField::Created, false) => query.order((labels::created.asc(), labels::id.asc())),
        (LabelOrderField::Created, true) => {
            query.order((labels::created.desc(), labels::id.desc()))
        }
    };
    query
        .offset(offset)
        .limit(limit)
        .select(LabelRow::as_select())
        .load(conn)
}
