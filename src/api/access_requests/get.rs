use actix_web::web;

use super::AccessRequest;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_requests;
use crate::state::AppState;

/// Retrieve access request
///
/// One request, seen by its requester, by whoever could decide it, and by
/// account-tier holders of `access_review.view`; anyone else gets a 404.
#[utoipa::path(
    get,
    path = "/access-requests/{id}/",
    tag = "access-requests",
    params(("id" = String, Path, description = "The request's id.")),
    responses(
        (status = 200, description = "The request", body = AccessRequest),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: a request the caller may not see is not found", body = ErrorDetail),
        (status = 404, description = "No such request the caller may see", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_access_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccessRequest>> {
    let detail = state
        .db
        .read(move |conn| access_requests::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(detail.into()))
}
