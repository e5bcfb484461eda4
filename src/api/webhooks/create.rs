use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{Webhook, WebhookWriteDoc, parse_webhook_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::webhooks;
use crate::state::AppState;

/// Create webhook
///
/// Each event it subscribes to is POSTed to `url` as JSON `{id, type,
/// occurred, organization_id, data}` with `Tessera-Signature: t=<unix
/// time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`,
/// `Tessera-Event` and `Tessera-Delivery` headers. Any 2xx is a delivery;
/// anything else is retried with exponential backoff. Needs `webhooks.manage`.
#[utoipa::path(
    post,
    path = "/webhooks/",
    tag = "webhooks",
    request_body(content = WebhookWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Webhook),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let allow_private = state.webhook_settings.webhooks_allow_private;
    let input = parse_webhook_input(&body.fields()?, true, allow_private);
    let secrets = state.secrets.clone();
    let row = state
        .db
        .write(move |conn| webhooks::create(conn, &caller, &secrets, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/webhooks/{}/", row.id)))
        .json(Webhook::from(row)))
}
