use actix_web::web;

use super::Webhook;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::webhooks;
use crate::state::AppState;

/// Retrieve webhook
///
/// Needs `webhooks.manage`. The secret is never shown.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 404, description = "No such webhook in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Webhook>> {
    let row = state
        .db
        .read(move |conn| webhooks::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(row.into()))
}
