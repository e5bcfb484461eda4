use actix_web::web;

use super::AccessRequest;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_requests;
use crate::state::AppState;

/// Cancel access request
///
/// Withdraws the caller's own pending request. Only its requester may
/// (403 for others who can see it). Audited as `access_request.cancelled`.
#[utoipa::path(
    post,
    path = "/access-requests/{id}/cancel/",
    tag = "access-requests",
    params(("id" = String, Path, description = "The request's id.")),
    responses(
        (status = 200, description = "Cancelled", body = AccessRequest),
        (status = 400, description = "Never: the body is ignored", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Not the requester", body = ErrorDetail),
        (status = 404, description = "No such request the caller may see", body = ErrorDetail),
        (status = 409, description = "Already decided, cancelled or expired", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn cancel_access_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccessRequest>> {
    let detail = state
        .db
        .write(move |conn| access_requests::cancel(conn, &caller, &id))
        .await?;
    Ok(web::Json(detail.into()))
}
