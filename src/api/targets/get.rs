use actix_web::web;

use super::TargetView;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve target
///
/// One target of the caller's organization, with its teams. Another
/// organization's id or a malformed id is a 404. Needs `targets.view`.
#[utoipa::path(
    get,
    path = "/targets/{id}/",
    tag = "targets",
    params(("id" = String, Path, description = "A unique Base58 value identifying this target.")),
    responses(
        (status = 200, description = "The target", body = TargetView),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.view", body = ErrorDetail),
        (status = 404, description = "No such target in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_target(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<TargetView>> {
    let id = id.into_inner();
    let detail = state
        .db
        .read(move |conn| service::targets::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(detail.into()))
}
