//! `/access-reviews/`: access review campaigns (see `service::access_reviews`).

pub mod close;
pub mod create;
pub mod decide;
pub mod get;
pub mod items;
pub mod list;
pub mod report;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ChangedBy, NamedRef, page_view};
use crate::db::access_reviews::{ItemRow, Reviewer as ReviewerRow};
use crate::domain::access_reviews::{Decision, Outcome, ReviewScope, ReviewStatus};
use crate::domain::role::Tier;
use crate::domain::time;
use crate::service::access_reviews::CampaignDetail;

/// What a campaign reviews.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CampaignScope {
    /// `organization`: every role assignment; `team`: the assignments held
    /// at the team and at its targets; `role`: every assignment of the role.
    #[serde(rename = "type")]
    pub kind: ReviewScope,
    /// The team (scope `team`), as named when the campaign was created.
    pub team: Option<NamedRef>,
    /// The role (scope `role`), as named when the campaign was created.
    pub role: Option<NamedRef>,
}

/// A reviewer named by the campaign.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CampaignReviewer {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub email: String,
    pub name: String,
}

impl From<ReviewerRow> for CampaignReviewer {
    fn from(r: ReviewerRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            name: r.name,
        }
    }
}

/// How far the review is.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CampaignProgress {
    pub total: i64,
    pub pending: i64,
    pub keep: i64,
    pub revoke: i64,
}

/// An access review campaign.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AccessReviewCampaign {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[schema(max_length = 255)]
    pub name: String,
    pub scope: CampaignScope,
    /// When the review should be done (decisions are still taken after it).
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub due: NaiveDateTime,
    /// `open` until closed; a closed campaign takes no decision.
    pub status: ReviewStatus,
    /// Open and past its due date.
    pub overdue: bool,
    pub reviewers: Vec<CampaignReviewer>,
    pub items: CampaignProgress,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    pub created_by: ChangedBy,
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed: Option<NaiveDateTime>,
    pub closed_by: Option<ChangedBy>,
}

impl From<CampaignDetail> for AccessReviewCampaign {
    fn from(d: CampaignDetail) -> Self {
        let c = d.campaign;
        let named = |id: Option<String>, name: Option<String>| {
            id.map(|id| NamedRef {
                id,
                name: name.unwrap_or_default(),
            })
        };
        let closed_by = match (c.closed_by_id, c.closed_by_email, c.closed_by_name) {
            (Some(id), Some(email), Some(name)) => Some(ChangedBy { id, email, name }),
            _ => None,
        };
        Self {
            overdue: c.status == ReviewStatus::Open && c.due < time::now(),
            scope: CampaignScope {
                kind: c.scope,
                team: named(c.team_id, c.team_name),
                role: named(c.role_id, c.role_name),
            },
            id: c.id,
            name: c.name,
            due: c.due,
            status: c.status,
            reviewers: d.reviewers.into_iter().map(Into::into).collect(),
            items: CampaignProgress {
                total: d.progress.total,
                pending: d.progress.pending,
                keep: d.progress.kept,
                revoke: d.progress.revoked,
            },
            created: c.created,
            created_by: ChangedBy {
                id: c.created_by_id,
                email: c.created_by_email,
                name: c.created_by_name,
            },
            closed: c.closed,
            closed_by,
        }
    }
}

page_view! {
    /// A page of access review campaigns, newest first.
    AccessReviewCampaignPage of AccessReviewCampaign, "Number of campaigns matching the query."
}

/// The reviewed user, as it was when the campaign was created.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ItemUser {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub email: String,
    pub name: String,
    /// `user` or `api_user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The tier of the reviewed assignment.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ItemTier {
    pub tier: Tier,
}

/// One reviewed role assignment: a snapshot taken when the campaign was
/// created (later changes to the user or the role do not alter it), with
/// the decision taken on it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AccessReviewItem {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub user: ItemUser,
    /// The id of the reviewed user_role (it may be gone since).
    #[schema(min_length = 12, max_length = 12)]
    pub assignment_id: String,
    pub role: NamedRef,
    pub scope: ItemTier,
    pub team: Option<NamedRef>,
    pub target: Option<NamedRef>,
    /// The permissions the assignment granted, where it applies, when the
    /// campaign was created (sorted by name).
    pub permissions: Vec<String>,
    pub decision: Decision,
    #[schema(max_length = 2000)]
    pub comment: String,
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided: Option<NaiveDateTime>,
    /// The reviewer who decided.
    pub decided_by: Option<ChangedBy>,
    /// What a `revoke` did: `removed` (the assignment), `deactivated` (the
    /// user, for a membership role), or `already_gone` (the assignment no
    /// longer existed as reviewed: nothing was removed). Null otherwise.
    pub outcome: Option<Outcome>,
}

impl From<ItemRow> for AccessReviewItem {
    fn from(i: ItemRow) -> Self {
        let named = |id: Option<String>, name: Option<String>| {
            id.map(|id| NamedRef {
                id,
                name: name.unwrap_or_default(),
            })
        };
        let decided_by = match (i.decided_by_id, i.decided_by_email, i.decided_by_name) {
            (Some(id), Some(email), Some(name)) => Some(ChangedBy { id, email, name }),
            _ => None,
        };
        Self {
            user: ItemUser {
                id: i.user_id,
                email: i.user_email,
                name: i.user_name,
                kind: if i.is_apiuser { "api_user" } else { "user" },
            },
            assignment_id: i.assignment_id,
            role: NamedRef {
                id: i.role_id,
                name: i.role_name,
            },
            scope: ItemTier { tier: i.tier },
            team: named(i.team_id, i.team_name),
            target: named(i.target_id, i.target_name),
            permissions: {
                let mut names: Vec<String> = i
                    .permissions
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect();
                names.sort_unstable();
                names
            },
            decision: i.decision,
            comment: i.comment,
            decided: i.decided,
            decided_by,
            outcome: i.outcome,
            id: i.id,
        }
    }
}

page_view! {
    /// A page of a campaign's items, by user email.
    AccessReviewItemPage of AccessReviewItem, "Number of items matching the query."
}
