use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete target
///
/// Removes the target, the scope-tier roles granted on it and its links to
/// teams (the teams and the users stay). Needs `targets.manage` at account
/// tier.
#[utoipa::path(
    delete,
    path = "/targets/{id}/",
    tag = "targets",
    params(("id" = String, Path, description = "A unique Base58 value identifying this target.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.manage", body = ErrorDetail),
        (status = 404, description = "No such target in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_target(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::targets::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
