use actix_web::web;

use super::{AccessDecisionDoc, AccessRequest, parse_comment};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_requests;
use crate::state::AppState;

/// Approve access request
///
/// Grants the request: in the same transaction, the requester gets the role
/// at the requested place from now until now + `duration` (the assignment's
/// `starts` and `expires`), through the same rules and audit as a change of
/// its `user_roles` (`user.updated`, webhook `membership.updated`). Only
/// someone who could grant that role there may (`roles.grant` and every
/// permission of the role where it applies, and every permission the
/// requester holds wherever it holds it); never the requester (403). A
/// request no longer pending (decided, cancelled, expired) is a 409. The
/// requester is mailed. Audited as `access_request.approved`.
#[utoipa::path(
    post,
    path = "/access-requests/{id}/approve/",
    tag = "access-requests",
    params(("id" = String, Path, description = "The request's id.")),
    request_body(content = AccessDecisionDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Approved", body = AccessRequest),
        (status = 400, description = "An invalid comment", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "The requester itself, or someone who could not grant the role there", body = ErrorDetail),
        (status = 404, description = "No such request in the organization", body = ErrorDetail),
        (status = 409, description = "Already decided, cancelled or expired; or the requester already holds the role there", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn approve_access_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<AccessRequest>> {
    decide(caller, state, id.into_inner(), body, true).await
}

/// Deny access request
///
/// Refuses the request, with an optional comment. Who may, and when, as
/// for approving. The requester is mailed. Audited as
/// `access_request.denied`.
#[utoipa::path(
    post,
    path = "/access-requests/{id}/deny/",
    tag = "access-requests",
    params(("id" = String, Path, description = "The request's id.")),
    request_body(content = AccessDecisionDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Denied", body = AccessRequest),
        (status = 400, description = "An invalid comment", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "The requester itself, or someone who could not grant the role there", body = ErrorDetail),
        (status = 404, description = "No such request in the organization", body = ErrorDetail),
        (status = 409, description = "Already decided, cancelled or expired", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn deny_access_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<AccessRequest>> {
    decide(caller, state, id.into_inner(), body, false).await
}

async fn decide(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    approve: bool,
) -> Result<web::Json<AccessRequest>> {
    let comment = parse_comment(&body.fields()?);
    let detail = access_requests::decide_and_notify(&state, caller, id, approve, comment).await?;
    Ok(web::Json(detail.into()))
}
