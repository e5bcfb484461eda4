//! Access review campaigns, their reviewers and their items (snapshots of
//! role assignments with the decision taken on each).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{access_review_items, access_review_reviewers, access_reviews, users};
use crate::domain::access_reviews::{Decision, Outcome, ReviewScope, ReviewStatus};
use crate::domain::role::{PermissionSet, Tier};

type Backend = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = access_reviews)]
pub struct CampaignRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub scope: ReviewScope,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub role_id: Option<String>,
    pub role_name: Option<String>,
    pub due: NaiveDateTime,
    pub status: ReviewStatus,
    pub created: NaiveDateTime,
    pub created_by_id: String,
    pub created_by_email: String,
    pub created_by_name: String,
    pub closed: Option<NaiveDateTime>,
    pub closed_by_id: Option<String>,
    pub closed_by_email: Option<String>,
    pub closed_by_name: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = access_review_items)]
pub struct ItemRow {
    pub id: String,
    pub review_id: String,
    pub assignment_id: String,
    pub user_id: String,
    pub user_email: String,
    pub user_name: String,
    pub is_apiuser: bool,
    pub role_id: String,
    pub role_name: String,
    pub tier: Tier,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub permissions: PermissionSet,
    pub decision: Decision,
    pub comment: String,
    pub decided: Option<NaiveDateTime>,
    pub decided_by_id: Option<String>,
    pub decided_by_email: Option<String>,
    pub decided_by_name: Option<String>,
    pub outcome: Option<Outcome>,
}

/// A reviewer as listed: the user's current email and name.
#[derive(Queryable, Clone, Debug)]
pub struct Reviewer {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// Pending / decided counts of a campaign.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub total: i64,
    pub pending: i64,
    pub kept: i64,
    pub revoked: i64,
}

pub fn insert(
    conn: &mut DbConnection,
    campaign: &CampaignRow,
    reviewers: &[String],
    items: &[ItemRow],
) -> QueryResult<()> {
    diesel::insert_into(access_reviews::table)
        .values(campaign)
        .execute(conn)?;
    // One statement per row: the multi-backend connection cannot batch.
    for user in reviewers {
        diesel::insert_into(access_review_reviewers::table)
            .values((
                access_review_reviewers::review_id.eq(&campaign.id),
                access_review_reviewers::user_id.eq(user),
            ))
            .execute(conn)?;
    }
    for item in items {
        diesel::insert_into(access_review_items::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_in_org(
    conn: &mut DbConnection,
    organization_id: &str,
    id: &str,
) -> QueryResult<Option<CampaignRow>> {
    access_reviews::table
        .filter(access_reviews::id.eq(id))
        .filter(access_reviews::organization_id.eq(organization_id))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()
}

pub fn reviewers(conn: &mut DbConnection, review_id: &str) -> QueryResult<Vec<Reviewer>> {
    access_review_reviewers::table
        .inner_join(users::table)
        .filter(access_review_reviewers::review_id.eq(review_id))
        .order((users::email.asc(), users::id.asc()))
        .select((users::id, users::email, users::name))
        .load(conn)
}

pub fn is_reviewer(conn: &mut DbConnection, review_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        access_review_reviewers::table
            .filter(access_review_reviewers::review_id.eq(review_id))
            .filter(access_review_reviewers::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// What a caller sees of the campaigns: all of them, or those it reviews
/// (named as a reviewer, or holding items at one of `teams`).
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    /// `None`: every campaign of the organization.
    pub limited_to: Option<Limited>,
}

#[derive(Clone, Debug, Default)]
pub struct Limited {
    pub reviewer: String,
    pub teams: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct CampaignFilter {
    pub status: Option<ReviewStatus>,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
}

fn campaigns<'a>(
    organization_id: &'a str,
    visibility: &'a Visibility,
    filter: &'a CampaignFilter,
) -> access_reviews::BoxedQuery<'a, Backend> {
    let mut query = access_reviews::table
        .filter(access_reviews::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(access_reviews::status.eq(status));
    }
    if let Some(term) = &filter.search {
        query = query.filter(
            super::lower(access_reviews::name)
                .like(super::contains_pattern(term))
                .escape('\\'),
        );
    }
    if let Some(limited) = &visibility.limited_to {
        query = query.filter(
            access_reviews::id
                .eq_any(
                    access_review_reviewers::table
                        .filter(access_review_reviewers::user_id.eq(&limited.reviewer))
                        .select(access_review_reviewers::review_id),
                )
                .or(access_reviews::id.eq_any(
                    access_review_items::table
                        .filter(access_review_items::team_id.eq_any(&limited.teams))
                        .select(access_review_items::review_id),
                )),
        );
    }
    query
}

pub fn count(
    conn: &mut DbConnection,
    organization_id: &str,
    visibility: &Visibility,
    filter: &CampaignFilter,
) -> QueryResult<i64> {
    campaigns(organization_id, visibility, filter)
        .count()
        .get_result(conn)
}

/// Newest first, ties broken by id.
pub fn page(
    conn: &mut DbConnection,
    organization_id: &str,
    visibility: &Visibility,
    filter: &CampaignFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<CampaignRow>> {
    campaigns(organization_id, visibility, filter)
        .order((access_reviews::created.desc(), access_reviews::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(CampaignRow::as_select())
        .load(conn)
}

pub fn progress(conn: &mut DbConnection, review_id: &str) -> QueryResult<Progress> {
    let counts: Vec<(Decision, i64)> = access_review_items::table
        .filter(access_review_items::review_id.eq(review_id))
        .group_by(access_review_items::decision)
        .select((access_review_items::decision, diesel::dsl::count_star()))
        .load(conn)?;
    let mut p = Progress::default();
    for (decision, n) in counts {
        p.total += n;
        match decision {
            Decision::Pending => p.pending += n,
            Decision::Keep => p.kept += n,
            Decision::Revoke => p.revoked += n,
        }
    }
    Ok(p)
}

/// Which items a list shows.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    pub decision: Option<Decision>,
    pub user: Option<String>,
    /// Decided by this user.
    pub reviewer: Option<String>,
    /// Only items at these teams (a team reviewer's view); `None`: all.
    pub teams: Option<Vec<String>>,
}

fn items<'a>(
    review_id: &'a str,
    filter: &'a ItemFilter,
) -> access_review_items::BoxedQuery<'a, Backend> {
    let mut query = access_review_items::table
        .filter(access_review_items::review_id.eq(review_id))
        .into_boxed();
    if let Some(decision) = filter.decision {
        query = query.filter(access_review_items::decision.eq(decision));
    }
    if let Some(user) = &filter.user {
        query = query.filter(access_review_items::user_id.eq(user));
    }
    if let Some(reviewer) = &filter.reviewer {
        query = query.filter(access_review_items::decided_by_id.eq(reviewer));
    }
    if let Some(teams) = &filter.teams {
        query = query.filter(access_review_items::team_id.eq_any(teams));
    }
    query
}

pub fn count_items(
    conn: &mut DbConnection,
    review_id: &str,
    filter: &ItemFilter,
) -> QueryResult<i64> {
    items(review_id, filter).count().get_result(conn)
}

/// By user email, then role and place (the order of the snapshot), then id.
pub fn items_page(
    conn: &mut DbConnection,
    review_id: &str,
    filter: &ItemFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<ItemRow>> {
    items(review_id, filter)
        .order((
            access_review_items::user_email.asc(),
            access_review_items::role_name.asc(),
            access_review_items::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)
}

pub fn find_item(
    conn: &mut DbConnection,
    review_id: &str,
    id: &str,
) -> QueryResult<Option<ItemRow>> {
    access_review_items::table
        .filter(access_review_items::id.eq(id))
        .filter(access_review_items::review_id.eq(review_id))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()
}

/// A decision as written.
#[derive(Clone, Debug)]
pub struct DecisionWrite {
    pub decision: Decision,
    pub comment: String,
    pub decided: NaiveDateTime,
    pub decided_by_id: String,
    pub decided_by_email: String,
    pub decided_by_name: String,
}

/// Records a decision on a pending item; false when the item was no longer
/// pending (decided meanwhile: the first decision stands).
pub fn decide(conn: &mut DbConnection, item_id: &str, d: &DecisionWrite) -> QueryResult<bool> {
    let n = diesel::update(
        access_review_items::table
            .filter(access_review_items::id.eq(item_id))
            .filter(access_review_items::decision.eq(Decision::Pending)),
    )
    .set((
        access_review_items::decision.eq(d.decision),
        access_review_items::comment.eq(&d.comment),
        access_review_items::decided.eq(d.decided),
        access_review_items::decided_by_id.eq(&d.decided_by_id),
        access_review_items::decided_by_email.eq(&d.decided_by_email),
        access_review_items::decided_by_name.eq(&d.decided_by_name),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_outcome(conn: &mut DbConnection, item_id: &str, outcome: Outcome) -> QueryResult<()> {
    diesel::update(access_review_items::table.find(item_id))
        .set(access_review_items::outcome.eq(outcome))
        .execute(conn)
        .map(drop)
}

/// Closes an open campaign; false when it was closed already.
pub fn close(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    by: (&str, &str, &str),
) -> QueryResult<bool> {
    let n = diesel::update(
        access_reviews::table
            .filter(access_reviews::id.eq(id))
            .filter(access_reviews::status.eq(ReviewStatus::Open)),
    )
    .set((
        access_reviews::status.eq(ReviewStatus::Closed),
        access_reviews::closed.eq(Some(at)),
        access_reviews::closed_by_id.eq(Some(by.0)),
        access_reviews::closed_by_email.eq(Some(by.1)),
        access_reviews::closed_by_name.eq(Some(by.2)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
