//! Invitations and password reset links. Both keep only a hash of their token.

use chrono::NaiveDateTime;
use diesel::dsl::{And, IsNull};
use diesel::prelude::*;

use super::DbConnection;
use super::models::UserRow;
use super::schema::{invitations, password_resets, users};
use crate::domain::invitation::InvitationStatus;

type Backend = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created: NaiveDateTime,
    pub expires: NaiveDateTime,
    pub accepted: Option<NaiveDateTime>,
    pub superseded: Option<NaiveDateTime>,
    pub mail_status: String,
    pub mail_error: Option<String>,
    pub changed_by_id: String,
    pub changed_by_email: String,
    pub changed_by_name: String,
    /// When an administrator took it back (`service::invitations::revoke`).
    pub revoked: Option<NaiveDateTime>,
}

/// An invitation with the user it invites.
pub type InvitationDetail = (InvitationRow, UserRow);

/// What an invitation list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct InvitationFilter {
    pub user: Option<String>,
    /// Invitations in this status at the given time.
    pub status: Option<(InvitationStatus, NaiveDateTime)>,
}

/// Not accepted, replaced or revoked: an invitation still open, until it
/// expires.
type Open = And<
    And<IsNull<invitations::accepted>, IsNull<invitations::superseded>>,
    IsNull<invitations::revoked>,
>;

fn open() -> Open {
    invitations::accepted
        .is_null()
        .and(invitations::superseded.is_null())
        .and(invitations::revoked.is_null())
}

/// Open and not yet expired at a time: an invitation still pending.
type PendingAt = And<Open, diesel::dsl::Gt<invitations::expires, NaiveDateTime>>;

fn pending_at(at: NaiveDateTime) -> PendingAt {
    open().and(invitations::expires.gt(at))
}

pub fn insert(conn: &mut DbConnection, row: &InvitationRow) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Marks the user's invitations that are still open as superseded.
pub fn supersede_open(
    conn: &mut DbConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        invitations::table
            .filter(invitations::user_id.eq(user_id))
            .filter(open()),
    )
    .set(invitations::superseded.eq(at))
    .execute(conn)
    .map(drop)
}

pub fn find_by_token_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<InvitationDetail>> {
    invitations::table
        .inner_join(users::table)
        .filter(invitations::token_hash.eq(token_hash))
        .select((InvitationRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<InvitationDetail>> {
    invitations::table
        .inner_join(users::table)
        .filter(invitations::id.eq(id))
        .filter(invitations::organization_id.eq(organization_id))
        .select((InvitationRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

/// Claims an open invitation: true when this call accepted it (so two
/// racing accepts cannot both succeed).
pub fn accept(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(pending_at(at)),
    )
    .set(invitations::accepted.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Takes back an invitation still pending at `at`: true when this call
/// revoked it (false when it was accepted, replaced, revoked or expired
/// meanwhile).
pub fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(pending_at(at)),
    )
    .set(invitations::revoked.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn set_mail_status(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::mail_status.eq(status),
            invitations::mail_error.eq(error),
        ))
        .execute(conn)
        .map(drop)
}

fn filtered<'a>(
    organization_id: &'a str,
    filter: &'a InvitationFilter,
) -> invitations::BoxedQuery<'a, Backend> {
    let mut query = invitations::table
        .filter(invitations::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(user) = &filter.user {
        query = query.filter(invitations::user_id.eq(user));
    }
    if let Some((status, now)) = filter.status {
        query = match status {
            InvitationStatus::Accepted => query.filter(invitations::accepted.is_not_null()),
            InvitationStatus::Revoked => query
                .filter(invitations::accepted.is_null())
                .filter(invitations::revoked.is_not_null()),
            InvitationStatus::Superseded => query
                .filter(invitations::accepted.is_null())
                .filter(invitations::revoked.is_null())
                .filter(invitations::superseded.is_not_null()),
            InvitationStatus::Expired => query.filter(open()).filter(invitations::expires.le(now)),
            InvitationStatus::Pending => query.filter(pending_at(now)),
        };
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &InvitationFilter,
) -> QueryResult<i64> {
    filtered(organization_id, filter).count().get_result(conn)
}

/// A page of invitations, newest first, with their users (one query).
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    filter: &InvitationFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<InvitationDetail>> {
    let ids: Vec<String> = filtered(organization_id, filter)
        .order((invitations::created.desc(), invitations::id.desc()))
        .select(invitations::id)
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    invitations::table
        .inner_join(users::table)
        .filter(invitations::id.eq_any(&ids))
        .order((invitations::created.desc(), invitations::id.desc()))
        .select((InvitationRow::as_select(), UserRow::as_select()))
        .load(conn)
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = password_resets)]
pub struct PasswordResetRow {
    pub token_hash: String,
    pub user_id: String,
    pub token_version: i32,
    pub created: NaiveDateTime,
    pub expires: NaiveDateTime,
}

pub fn insert_reset(conn: &mut DbConnection, row: &PasswordResetRow) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_reset(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(PasswordResetRow, UserRow)>> {
    password_resets::table
        .inner_join(users::table)
        .filter(password_resets::token_hash.eq(token_hash))
        .select((PasswordResetRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

/// Deletes every reset link of the user; true when `token_hash` was among
/// them (so two racing confirmations cannot both succeed).
pub fn consume_resets(
    conn: &mut DbConnection,
    user_id: &str,
    token_hash: &str,
) -> QueryResult<bool> {
    let claimed = diesel::delete(password_resets::table.find(token_hash)).execute(conn)? == 1;
    diesel::delete(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(claimed)
}

pub fn prune_resets(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(password_resets::table.filter(password_resets::expires.le(now)))
        .execute(conn)
        .map(drop)
}
