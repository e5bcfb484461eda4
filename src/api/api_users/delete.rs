use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete API user
///
/// Removes the API user and its keys. Needs `users.manage` and every
/// permission the API user holds, where it holds it.
#[utoipa::path(
    delete,
    path = "/api-users/{id}/",
    tag = "api-users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this API user.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The last active owner cannot be deleted", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage, or a permission the API user holds", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_api_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::users::delete(conn, &caller, &id, true))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
