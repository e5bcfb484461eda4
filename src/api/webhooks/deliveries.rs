use actix_web::{HttpRequest, web};

use super::WebhookDeliveryPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::webhooks;
use crate::state::AppState;

/// List a webhook's deliveries
///
/// Each event sent (or to be sent) to the webhook, newest first: its status,
/// attempts, the receiver's last HTTP status and the last error. Needs
/// `webhooks.manage`.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries/",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id."),
        ("page" = Option<i64>, Query, description = "Page number, from 1.", minimum = 1),
        ("length" = Option<i64>, Query, description = "Results per page: default 10, capped to 100.", minimum = 1),
    ),
    responses(
        (status = 200, description = "A page of deliveries", body = WebhookDeliveryPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks webhooks.manage", body = ErrorDetail),
        (status = 404, description = "No such webhook in the organization, or an invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_webhook_deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<WebhookDeliveryPage>> {
    let query = Query::from_request(&req, &["page", "length"])?;
    let mut errors = FieldErrors::new();
    let page = Parsed::new(page_request(&query, &mut errors), errors);
    let listed = state
        .db
        .read(move |conn| webhooks::deliveries(conn, &caller, &id, page))
        .await?;
    Ok(web::Json(listed.into()))
}
