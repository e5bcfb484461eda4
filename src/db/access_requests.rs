//! Access requests: rows, the filters of their list, and the one-way
//! change of a pending request into a decided one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{access_requests, roles, targets, teams, users};
use crate::domain::access_request::AccessRequestStatus;
use crate::domain::role::Tier;

type Backend = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = access_requests)]
pub struct AccessRequestRow {
    pub id: String,
    pub organization_id: String,
    pub requester_id: String,
    pub role_id: String,
    pub tier: Tier,
    pub team_id: Option<String>,
    pub target_id: Option<String>,
    pub duration: i64,
    pub reason: String,
    pub status: AccessRequestStatus,
    pub created: NaiveDateTime,
    pub expires: NaiveDateTime,
    pub decided: Option<NaiveDateTime>,
    pub decided_by_id: Option<String>,
    pub decided_by_email: Option<String>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub grant_starts: Option<NaiveDateTime>,
    pub grant_expires: Option<NaiveDateTime>,
}

/// The outcome of a decision, written once.
#[derive(AsChangeset)]
#[diesel(table_name = access_requests)]
pub struct Decision {
    pub status: AccessRequestStatus,
    pub decided: NaiveDateTime,
    pub decided_by_id: String,
    pub decided_by_email: String,
    pub decided_by_name: String,
    pub comment: Option<String>,
    pub grant_starts: Option<NaiveDateTime>,
    pub grant_expires: Option<NaiveDateTime>,
}

/// What a list of requests is narrowed to in SQL.
#[derive(Clone, Debug, Default)]
pub struct AccessRequestFilter {
    /// Requests standing so at the given time (EXPIRED and PENDING are
    /// told apart by the deadline).
    pub status: Option<(AccessRequestStatus, NaiveDateTime)>,
    pub requester: Option<String>,
    pub role: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &AccessRequestRow) -> QueryResult<()> {
    diesel::insert_into(access_requests::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<AccessRequestRow>> {
    access_requests::table
        .filter(access_requests::id.eq(id))
        .filter(access_requests::organization_id.eq(organization_id))
        .select(AccessRequestRow::as_select())
        .first(conn)
        .optional()
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a AccessRequestFilter,
) -> access_requests::BoxedQuery<'a, Backend> {
    let mut query = access_requests::table
        .filter(access_requests::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(requester) = &filter.requester {
        query = query.filter(access_requests::requester_id.eq(requester));
    }
    if let Some(role) = &filter.role {
        query = query.filter(access_requests::role_id.eq(role));
    }
    if let Some((status, now)) = filter.status {
        query = match status {
            AccessRequestStatus::Pending => query
                .filter(access_requests::status.eq(AccessRequestStatus::Pending))
                .filter(access_requests::expires.gt(now)),
            AccessRequestStatus::Expired => query
                .filter(access_requests::status.eq(AccessRequestStatus::Pending))
                .filter(access_requests::expires.le(now)),
            decided => query.filter(access_requests::status.eq(decided)),
        };
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AccessRequestFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// The list's order: newest first, or oldest with `ascending`; the id
/// breaks ties, so pages and batches are stable.
fn in_list_order<'a>(
    query: access_requests::BoxedQuery<'a, Backend>,
    ascending: bool,
) -> access_requests::BoxedQuery<'a, Backend> {
    if ascending {
        query.order((access_requests::created.asc(), access_requests::id.asc()))
    } else {
        query.order((access_requests::created.desc(), access_requests::id.desc()))
    }
}

/// A page of matching requests, newest first (or oldest with `ascending`).
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AccessRequestFilter,
    ascending: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AccessRequestRow>> {
    let query = in_list_order(filtered(organization_id, filter), ascending);
    query
        .offset(offset)
        .limit(limit)
        .select(AccessRequestRow::as_select())
        .load(conn)
}

/// At most `limit` matching requests after `after` (their `created` and
/// `id`) in the list's order (newest first, or oldest with `ascending`):
/// lists whose visibility is judged per row read them batch by batch, so
/// memory follows the batch, not the organization.
pub fn batch_after(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AccessRequestFilter,
    ascending: bool,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AccessRequestRow>> {
    let mut query = filtered(organization_id, filter);
    if let Some((created, id)) = after {
        query = if ascending {
            query.filter(
                access_requests::created
                    .gt(created)
                    .or(access_requests::created
                        .eq(created)
                        .and(access_requests::id.gt(id))),
            )
        } else {
            query.filter(
                access_requests::created
                    .lt(created)
                    .or(access_requests::created
                        .eq(created)
                        .and(access_requests::id.lt(id))),
            )
        };
    }
    let query = in_list_order(query, ascending);
    query
        .limit(limit)
        .select(AccessRequestRow::as_select())
        .load(conn)
}

/// Every matching request, for lists whose visibility is judged per row.
pub fn all(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AccessRequestFilter,
    ascending: bool,
) -> QueryResult<Vec<AccessRequestRow>> {
    page(conn, organization_id, filter, ascending, 0, i64::MAX)
}

/// Decides request `id` if it is still pending and undecided at `now`;
/// whether it was (a concurrent decision makes the second one a no-op).
pub fn decide(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    decision: &Decision,
) -> QueryResult<bool> {
    diesel::update(
        access_requests::table
            .filter(access_requests::id.eq(id))
            .filter(access_requests::status.eq(AccessRequestStatus::Pending))
            .filter(access_requests::expires.gt(now)),
    )
    .set(decision)
    .execute(conn)
    .map(|n| n == 1)
}

/// (id, email, name) of each of these users.
pub fn people(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email, users::name))
        .load(conn)
}

/// (id, name) of each of these roles.
pub fn role_names(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    roles::table
        .filter(roles::id.eq_any(ids))
        .select((roles::id, roles::name))
        .load(conn)
}

pub fn team_names(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    teams::table
        .filter(teams::id.eq_any(ids))
        .select((teams::id, teams::name))
        .load(conn)
}

pub fn target_names(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    targets::table
        .filter(targets::id.eq_any(ids))
        .select((targets::id, targets::name))
        .load(conn)
}

/// The active people of the organization (not API users, not the System
/// actor): who may be asked to decide, as (id, email, name).
pub fn active_people(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::active.eq(true))
        .filter(users::is_apiuser.eq(false))
        .filter(users::is_system.eq(false))
        .order(users::id)
        .select((users::id, users::email, users::name))
        .load(conn)
}
