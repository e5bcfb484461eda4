use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{AccessRequest, AccessRequestWriteDoc, parse_request};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::access_requests;
use crate::state::AppState;

/// Request access
///
/// Asks for a role at a place (the organization, a team or a target) for
/// `duration` seconds, for the caller itself; any authenticated user may.
/// The request waits 14 days for a decision, then expires. The people who
/// could decide it (those who could grant that role there: `roles.grant`
/// and every permission of the role where it applies, and every permission
/// the requester holds wherever it holds it; never the requester) are
/// mailed, at most 20 of them. Refused (400): OWNER, a membership role at
/// account tier, a duration over 365 days or over the role's
/// `max_duration`, a role the caller already holds there, or a second
/// pending request for the same role at the same place. Audited as
/// `access_request.created`, raised as the webhook event of that name.
#[utoipa::path(
    post,
    path = "/access-requests/",
    tag = "access-requests",
    request_body(content = AccessRequestWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Requested", body = AccessRequest,
            headers(("Location" = String, description = "Path of the new request"))),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: any authenticated user may request access for itself", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_access_request(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let input = parse_request(&body.fields()?);
    let detail = access_requests::request(&state, caller, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/access-requests/{}/", detail.row.id),
        ))
        .json(AccessRequest::from(detail)))
}
