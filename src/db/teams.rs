//! Teams of an organization.

use diesel::prelude::*;

use super::models::{NewTeam, TeamChanges, TeamRow};
use super::schema::teams;
use super::{DbConnection, contains_pattern, lower};

type Backend = <DbConnection as Connection>::Backend;

pub fn insert(conn: &mut DbConnection, row: &NewTeam) -> QueryResult<()> {
    diesel::insert_into(teams::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A team of one organization (another organization's team is not found).
pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<TeamRow>> {
    teams::table
        .filter(teams::id.eq(id))
        .filter(teams::organization_id.eq(organization_id))
        .select(TeamRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &TeamChanges) -> QueryResult<()> {
    diesel::update(teams::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Deletes the team; the foreign keys take its team-tier `user_roles` and
/// its `target_teams` links with it.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(teams::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Of `ids`, those naming teams of the organization.
pub fn existing(
    conn: &mut DbConnection,
    organization_id: &str,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    teams::table
        .filter(teams::organization_id.eq(organization_id))
        .filter(teams::id.eq_any(ids))
        .select(teams::id)
        .load(conn)
}

/// What a list of teams may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct TeamFilter {
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// The name, compared case-insensitively (SCIM `displayName eq`).
    pub name: Option<String>,
    /// Team ids (empty: any).
    pub ids: Vec<String>,
    /// The identity provider's id, compared exactly (SCIM `externalId eq`).
    pub external_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamOrderField {
    Name,
    Changed,
    Created,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeamOrdering {
    pub field: TeamOrderField,
    pub descending: bool,
}

impl Default for TeamOrdering {
    fn default() -> Self {
        Self {
            field: TeamOrderField::Name,
            descending: false,
        }
    }
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a TeamFilter,
) -> teams::BoxedQuery<'a, Backend> {
    let mut query = teams::table
        .filter(teams::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(term) = &filter.search {
        query = query.filter(lower(teams::name).like(contains_pattern(term)).escape('\\'));
    }
    if let Some(name) = &filter.name {
        query = query.filter(lower(teams::name).eq(name.to_lowercase()));
    }
    if !filter.ids.is_empty() {
        query = query.filter(teams::id.eq_any(&filter.ids));
    }
    if let Some(external_id) = &filter.external_id {
        query = query.filter(teams::external_id.eq(external_id));
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &TeamFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// One page of teams, ordered with the id as tie-break so pages are stable.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &TeamFilter,
    ordering: TeamOrdering,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<TeamRow>> {
    let query = filtered(organization_id, filter);
    let query = match (ordering.field, ordering.descending) {
        (TeamOrderField::Name, false) => query.order((teams::name.asc(), teams::id.asc())),
        (TeamOrderField::Name, true) => query.order((teams::name.desc(), teams::id.desc())),
        (TeamOrderField::Changed, false) => query.order((teams::changed.asc(), teams::id.asc())),
        (TeamOrderField::Changed, true) => query.order((teams::changed.desc(), teams::id.desc())),
        (TeamOrderField::Created, false) => query.order((teams::created.asc(), teams::id.asc())),
        (TeamOrderField::Created, true) => query.order((teams::created.desc(), teams::id.desc())),
    };
    query
        .offset(offset)
        .limit(limit)
        .select(TeamRow::as_select())
        .load(conn)
}

/// A person holding a role at a team's tier: a member of the team.
#[derive(Clone, Debug, Queryable)]
pub struct Member {
    pub team_id: String,
    pub user_id: String,
}

/// The members of `team_ids` (people, not API users), by team then id,
/// each once: one query for any number of teams.
pub fn members(conn: &mut DbConnection, team_ids: &[String]) -> QueryResult<Vec<Member>> {
    use super::schema::{user_roles, users};
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::team_id.eq_any(team_ids))
        .filter(users::is_apiuser.eq(false))
        .filter(users::is_system.eq(false))
        .select((user_roles::team_id.assume_not_null(), users::id))
        .distinct()
        .order((user_roles::team_id, users::id))
        .load(conn)
}

/// How many people (not API users) are members of each of `team_ids`:
/// one grouped query for a page of teams. Teams without members are absent.
pub fn member_counts(
    conn: &mut DbConnection,
    team_ids: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::{user_roles, users};
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::team_id.eq_any(team_ids))
        .filter(users::is_apiuser.eq(false))
        .filter(users::is_system.eq(false))
        .group_by(user_roles::team_id)
        .select((
            user_roles::team_id.assume_not_null(),
            diesel::dsl::count(users::id).aggregate_distinct(),
        ))
        .load(conn)
}
