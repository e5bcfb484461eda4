//! Targets of an organization, and the teams each belongs to.

use std::collections::HashMap;

use diesel::prelude::*;

use super::models::{NewTarget, TargetChanges, TargetDetail, TargetRow};
use super::schema::{target_teams, targets};
use super::{DbConnection, contains_pattern, lower};

type Backend = <DbConnection as Connection>::Backend;

pub fn insert(conn: &mut DbConnection, row: &NewTarget) -> QueryResult<()> {
    diesel::insert_into(targets::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A target of one organization (another organization's target is not found).
pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<TargetRow>> {
    targets::table
        .filter(targets::id.eq(id))
        .filter(targets::organization_id.eq(organization_id))
        .select(TargetRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &TargetChanges) -> QueryResult<()> {
    diesel::update(targets::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Deletes the target; the foreign keys take its scope-tier `user_roles`
/// and its `target_teams` links with it.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(targets::table.find(id))
        .execute(conn)
        .map(drop)
}

/// `(target id, team id)` pairs of the targets, in one query.
pub fn teams_of(
    conn: &mut DbConnection,
    target_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    target_teams::table
        .filter(target_teams::target_id.eq_any(target_ids))
        .select((target_teams::target_id, target_teams::team_id))
        .order((target_teams::target_id, target_teams::team_id))
        .load(conn)
}

/// Makes the target's teams exactly `team_ids`.
pub fn set_teams(conn: &mut DbConnection, target_id: &str, team_ids: &[String]) -> QueryResult<()> {
    diesel::delete(target_teams::table.filter(target_teams::target_id.eq(target_id)))
        .execute(conn)?;
    for team_id in team_ids {
        diesel::insert_into(target_teams::table)
            .values((
                target_teams::target_id.eq(target_id),
                target_teams::team_id.eq(team_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Embeds team ids into rows: one query whatever the number of rows.
pub fn with_teams(conn: &mut DbConnection, rows: Vec<TargetRow>) -> QueryResult<Vec<TargetDetail>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|t| t.id.clone()).collect();
    let mut teams_by_target: HashMap<String, Vec<String>> = HashMap::new();
    for (target_id, team_id) in teams_of(conn, &ids)? {
        teams_by_target.entry(target_id).or_default().push(team_id);
    }
    Ok(rows
        .into_iter()
        .map(|target| TargetDetail {
            teams: teams_by_target.remove(&target.id).unwrap_or_default(),
            target,
        })
        .collect())
}

pub fn detail(conn: &mut DbConnection, row: TargetRow) -> QueryResult<TargetDetail> {
    Ok(with_teams(conn, vec![row])?.remove(0))
}

/// What a list of targets may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct TargetFilter {
    /// Case-insensitive substring of the name or the URL.
    pub search: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetOrderField {
    Name,
    Changed,
    Created,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetOrdering {
    pub field: TargetOrderField,
    pub descending: bool,
}

impl Default for TargetOrdering {
    fn default() -> Self {
        Self {
            field: TargetOrderField::Name,
            descending: false,
        }
    }
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a TargetFilter,
) -> targets::BoxedQuery<'a, Backend> {
    let mut query = targets::table
        .filter(targets::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(term) = &filter.search {
        let pattern = contains_pattern(term);
        query = query.filter(
            lower(targets::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(targets::url).like(pattern).escape('\\')),
        );
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &TargetFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// One page of targets, ordered with the id as tie-break so pages are stable.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &TargetFilter,
    ordering: TargetOrdering,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<TargetRow>> {
    let query = filtered(organization_id, filter);
    let query = match (ordering.field, ordering.descending) {
        (TargetOrderField::Name, false) => query.order((targets::name.asc(), targets::id.asc())),
        (TargetOrderField::Name, true) => query.order((targets::name.desc(), targets::id.desc())),
        (TargetOrderField::Changed, false) => {
            query.order((targets::changed.asc(), targets::id.asc()))
        }
        (TargetOrderField::Changed, true) => {
            query.order((targets::changed.desc(), targets::id.desc()))
        }
        (TargetOrderField::Created, false) => {
            query.order((targets::created.asc(), targets::id.asc()))
        }
        (TargetOrderField::Created, true) => {
            query.order((targets::created.desc(), targets::id.desc()))
        }
    };
    query
        .offset(offset)
        .limit(limit)
        .select(TargetRow::as_select())
        .load(conn)
}
