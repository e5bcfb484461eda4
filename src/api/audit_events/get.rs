use actix_web::web;

use super::AuditEvent;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::audit;
use crate::state::AppState;

/// Retrieve audit event
///
/// Needs `audit.view` (AUDITOR, ADMIN and OWNER hold it).
#[utoipa::path(
    get,
    path = "/audit-events/{id}/",
    tag = "audit",
    params(("id" = String, Path, description = "The event's id.")),
    responses(
        (status = 200, description = "The event", body = AuditEvent),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks audit.view", body = ErrorDetail),
        (status = 404, description = "No such event in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_audit_event(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AuditEvent>> {
    let row = state
        .db
        .read(move |conn| audit::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(row.into()))
}
