use actix_web::{HttpResponse, web};

use super::WebhookDelivery;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service::webhooks;
use crate::state::AppState;

/// Redeliver a webhook event
///
/// Sends one delivery's event again: a new delivery, due at once, of the
/// same event (the same `id` and body, so a receiver that deduplicates by
/// event id sees it once) to the webhook's current URL, signed with its
/// current secret. Any delivery may be sent again, whatever its status; the
/// new one is retried like any other. A paused webhook sends nothing again
/// (a 400 under `non_field_errors`). Needs `webhooks.manage`.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id."),
        ("delivery_id" = String, Path, description = "The delivery to send again."),
    ),
    responses(
        (status = 201, description = "The new delivery", body = WebhookDelivery),
        (status = 400, description = "The webhook is paused", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 404, description = "No such webhook in the organization, or no such delivery of it", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn redeliver_webhook_delivery(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, delivery) = path.into_inner();
    let queued = state
        .db
        .write(move |conn| webhooks::redeliver(conn, &caller, &id, &delivery))
        .await?;
    Ok(HttpResponse::Created().json(WebhookDelivery::from(queued)))
}
