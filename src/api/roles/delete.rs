use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete role
///
/// Deletes a custom role that no user holds; otherwise a 400 says how many
/// users hold it. Built-in roles are read-only (400).
#[utoipa::path(
    delete,
    path = "/roles/{id}/",
    tag = "roles",
    params(("id" = String, Path, description = "A unique Base58 value identifying this role.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Still assigned, or a built-in role", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks roles.manage", body = ErrorDetail),
        (status = 404, description = "No such role in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_role(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::roles::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
