use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::webhooks;
use crate::state::AppState;

/// Delete webhook
///
/// Deletes the webhook and its pending deliveries. Needs `webhooks.manage`.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}/",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 404, description = "No such webhook in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    state
        .db
        .write(move |conn| webhooks::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
