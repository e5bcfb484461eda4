use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete label
///
/// Removes the label; users holding it lose it. Needs `labels.manage`.
#[utoipa::path(
    delete,
    path = "/labels/users/{id}/",
    tag = "labels",
    params(("id" = String, Path, description = "A unique Base58 value identifying this label.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks labels.manage", body = ErrorDetail),
        (status = 404, description = "No such label in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_label(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::labels::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
