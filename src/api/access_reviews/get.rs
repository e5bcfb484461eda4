use actix_web::web;

use super::AccessReviewCampaign;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_reviews;
use crate::state::AppState;

/// Retrieve access review campaign
///
/// The campaign with its reviewers and how many items are pending, kept and
/// revoked. Visible with `access_review.view` organization-wide, to its
/// reviewers, and to team ADMINs when it holds items of their team; any
/// other campaign is a 404.
#[utoipa::path(
    get,
    path = "/access-reviews/{id}/",
    tag = "access-reviews",
    params(("id" = String, Path, description = "A unique Base58 value identifying this campaign.")),
    responses(
        (status = 200, description = "The campaign", body = AccessReviewCampaign),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: what the caller may not see is left out, or a 404", body = ErrorDetail),
        (status = 404, description = "No such campaign visible to the caller", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_access_review_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccessReviewCampaign>> {
    let id = id.into_inner();
    let found = state
        .db
        .read(move |conn| access_reviews::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(found.into()))
}
