use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete user
///
/// Removes the user. Objects it changed keep showing it in `changed_by`.
/// Needs `users.manage` and every permission the user holds, where it holds
/// it (so `owner.grant` for an OWNER); the last active OWNER cannot be deleted.
#[utoipa::path(
    delete,
    path = "/users/{id}/",
    tag = "users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this user.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The last active owner cannot be deleted", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage, or a permission the user holds", body = ErrorDetail),
        (status = 404, description = "No such user in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::users::delete(conn, &caller, &id, false))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
