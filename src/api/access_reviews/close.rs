use actix_web::web;

use super::AccessReviewCampaign;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_reviews;
use crate::state::AppState;

/// Close access review campaign
///
/// Closes the campaign once no item is pending: while one is, or when it is
/// closed already, the answer is a 400 under `non_field_errors`. A closed
/// campaign takes no decision. Needs `access_review.view` and `roles.grant`
/// organization-wide. Audited as `access_review.closed`.
#[utoipa::path(
    post,
    path = "/access-reviews/{id}/close/",
    tag = "access-reviews",
    params(("id" = String, Path, description = "A unique Base58 value identifying this campaign.")),
    responses(
        (status = 200, description = "The closed campaign", body = AccessReviewCampaign),
        (status = 400, description = "Items are pending, or the campaign is closed", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks access_review.view or roles.grant organization-wide", body = ErrorDetail),
        (status = 404, description = "No such campaign visible to the caller", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn close_access_review(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccessReviewCampaign>> {
    let id = id.into_inner();
    let closed = state
        .db
        .write(move |conn| access_reviews::close(conn, &caller, &id))
        .await?;
    Ok(web::Json(closed.into()))
}
