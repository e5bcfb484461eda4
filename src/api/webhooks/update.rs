use actix_web::web;

use super::{Webhook, WebhookWriteDoc, parse_webhook_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::webhooks;
use crate::state::AppState;

/// Update webhook
///
/// Changes the fields sent (a new `secret` signs every later delivery).
/// Needs `webhooks.manage`.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}/",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    request_body(content = WebhookWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = Webhook),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 404, description = "No such webhook in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<Webhook>> {
    let allow_private = state.webhook_settings.webhooks_allow_private;
    let input = parse_webhook_input(&body.fields()?, false, allow_private);
    let secrets = state.secrets.clone();
    let row = state
        .db
        .write(move |conn| webhooks::update(conn, &caller, &secrets, &id, input))
        .await?;
    Ok(web::Json(row.into()))
}
