use actix_web::web;

use super::RoleView;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve role
#[utoipa::path(
    get,
    path = "/roles/{id}/",
    tag = "roles",
    params(("id" = String, Path, description = "A unique Base58 value identifying this role.")),
    responses(
        (status = 200, description = "The role", body = RoleView),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "No such role in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_role(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<RoleView>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| service::roles::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(row.into()))
}
