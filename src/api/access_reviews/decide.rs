use actix_web::web;
use utoipa::ToSchema;

use super::AccessReviewItem;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::domain::access_reviews::{Decision, parse_comment};
use crate::error::{Collect, FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_reviews::{self, DecisionInput};
use crate::state::AppState;

/// A reviewer's decision.
#[derive(ToSchema)]
#[schema(as = AccessReviewDecision)]
#[expect(
    dead_code,
    reason = "documents the body read by decide_access_review_item()"
)]
pub struct DecisionDoc {
    /// `keep` or `revoke`.
    #[schema(pattern = "^(keep|revoke)$", example = "revoke")]
    decision: String,
    /// Why (at most 2000 characters).
    #[schema(required = false, max_length = 2000)]
    comment: String,
}

/// Decide access review item
///
/// Records `keep` or `revoke` on a pending item, with the reviewer and the
/// time. A `revoke` takes effect in the same transaction, through the same
/// code as a user edit (audited as `user.updated` with its `user_roles`
/// change, raising `membership.updated`): the role assignment is removed,
/// or, for the user's membership role (which cannot be removed: every user
/// holds exactly one), the user is deactivated, which the last active OWNER
/// never is (400 on `active`). When the assignment no longer exists as
/// reviewed, the decision is recorded with `outcome: "already_gone"` and
/// nothing is removed.
///
/// The caller must be a reviewer of the campaign (or, for an item held at a
/// team, hold `roles.grant` at that team) and not the item's user (403);
/// a `revoke` also needs the power to remove that assignment under the
/// no-escalation rule: every permission the user holds, where it holds it
/// (403). These checks come before validation. A decided item keeps its
/// first decision and a closed campaign takes none (400). Audited as
/// `access_review.decided`.
#[utoipa::path(
    post,
    path = "/access-reviews/{id}/items/{item_id}/decision/",
    tag = "access-reviews",
    params(
        ("id" = String, Path, description = "A unique Base58 value identifying this campaign."),
        ("item_id" = String, Path, description = "A unique Base58 value identifying this item."),
    ),
    request_body(content = DecisionDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The decided item", body = AccessReviewItem),
        (status = 400, description = "Invalid fields, item already decided, campaign closed, or the last OWNER", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Not a reviewer of this item, its own user, or without power to revoke it", body = ErrorDetail),
        (status = 404, description = "No such campaign or item visible to the caller", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn decide_access_review_item(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<web::Json<AccessReviewItem>> {
    let (id, item_id) = path.into_inner();
    let fields = body.fields()?;
    let mut e = FieldErrors::new();
    let decision = fields
        .string("decision", &mut e)
        .and_then(|s| Decision::parse(&s).collect(&mut e, "decision"));
    let comment = fields
        .string("comment", &mut e)
        .and_then(|s| parse_comment(&s).collect(&mut e, "comment"));
    let input = Parsed::new(DecisionInput { decision, comment }, e);
    let item = state
        .db
        .write(move |conn| access_reviews::decide(conn, &caller, &id, &item_id, input))
        .await?;
    Ok(web::Json(item.into()))
}
