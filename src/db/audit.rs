//! The audit trail: inserted with the change, read in pages, pruned by age.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_events;

type Backend = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub organization_id: String,
    pub occurred: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub changes: String,
    pub request_id: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub interface: String,
}

pub fn insert(conn: &mut DbConnection, row: &AuditEventRow) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// What an event list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a AuditFilter,
) -> audit_events::BoxedQuery<'a, Backend> {
    let mut query = audit_events::table
        .filter(audit_events::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(object_type));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(object_id));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::occurred.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::occurred.lt(until));
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AuditFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &AuditFilter,
    oldest_first: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let query = filtered(organization_id, filter);
    let query = if oldest_first {
        query.order((audit_events::occurred.asc(), audit_events::id.asc()))
    } else {
        query.order((audit_events::occurred.desc(), audit_events::id.desc()))
    };
    query
        .select(AuditEventRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::organization_id.eq(organization_id))
        .filter(audit_events::id.eq(id))
        .select(AuditEventRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes events that occurred before `cutoff`; returns how many.
pub fn prune(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(audit_events::table.filter(audit_events::occurred.lt(cutoff))).execute(conn)
}
