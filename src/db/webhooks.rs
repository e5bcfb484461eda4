//! Webhook subscriptions and their outbox of deliveries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{webhook_deliveries, webhooks};

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub organization_id: String,
    pub url: String,
    pub events: String,
    /// Signs deliveries; stored sealed (`crypto`), opened only to sign one.
    /// Never serialized, never logged (no `Debug`).
    pub secret: String,
    pub active: bool,
    pub created: NaiveDateTime,
    pub changed: NaiveDateTime,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
}

impl WebhookRow {
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.events.split_whitespace()
    }
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<String>,
    pub secret: Option<String>,
    pub active: Option<bool>,
    pub changed: Option<NaiveDateTime>,
    pub changed_by_id: Option<String>,
    pub changed_by_email: Option<String>,
    pub changed_by_name: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &WebhookRow) -> QueryResult<()> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &WebhookChanges) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(webhooks::table.find(id))
        .execute(conn)
        .map(drop)
}

pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .filter(webhooks::id.eq(id))
        .filter(webhooks::organization_id.eq(organization_id))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConnection, organization_id: &str) -> QueryResult<i64> {
    webhooks::table
        .filter(webhooks::organization_id.eq(organization_id))
        .count()
        .get_result(conn)
}

pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::organization_id.eq(organization_id))
        .order((webhooks::created.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)
}

/// The organization's active webhooks.
pub fn active_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::organization_id.eq(organization_id))
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .load(conn)
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created: NaiveDateTime,
    pub delivered: Option<NaiveDateTime>,
}

pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
pub const FAILED: &str = "FAILED";

pub fn insert_delivery(conn: &mut DbConnection, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Claims up to `limit` due deliveries until `until`, so that one replica
/// sends each: on PostgreSQL the due rows are locked `FOR UPDATE SKIP
/// LOCKED` while the claim is written; SQLite has a single writer.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, String, String)>> {
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt.le(now))
        .filter(
            webhook_deliveries::claimed_until
                .is_null()
                .or(webhook_deliveries::claimed_until.lt(now)),
        )
        .order(webhook_deliveries::next_attempt.asc())
        .select(webhook_deliveries::id)
        .limit(limit);
    let ids: Vec<String> = match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
        .set(webhook_deliveries::claimed_until.eq(until))
        .execute(conn)?;
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .select((DeliveryRow::as_select(), webhooks::url, webhooks::secret))
        .load(conn)
}

/// Records one attempt's outcome and releases the claim.
pub fn record_attempt(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    status_code: Option<i32>,
    error: Option<&str>,
    next_attempt: NaiveDateTime,
    delivered: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status_code.eq(status_code),
            webhook_deliveries::last_error.eq(error),
            webhook_deliveries::next_attempt.eq(next_attempt),
            webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::delivered.eq(delivered),
        ))
        .execute(conn)
        .map(drop)
}

pub fn count_deliveries(conn: &mut DbConnection, webhook_id: &str) -> QueryResult<i64> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .count()
        .get_result(conn)
}

/// A webhook's deliveries, newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order((
            webhook_deliveries::created.desc(),
            webhook_deliveries::id.desc(),
        ))
        .select(DeliveryRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)
}

/// One delivery of a webhook.
pub fn find_delivery(
    conn: &mut DbConnection,
    webhook_id: &str,
    id: &str,
) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}
