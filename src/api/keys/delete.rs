use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::keys::{self, Owner};
use crate::state::AppState;

/// Revoke own key
///
/// The key stops working at once.
#[utoipa::path(
    delete,
    path = "/keys/{id}/",
    tag = "keys",
    params(("id" = String, Path, description = "The key's id.")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: own keys need no permission", body = ErrorDetail),
        (status = 404, description = "No such key of the caller", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_key(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| keys::revoke(conn, &caller, Owner::Caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke an API user's key
///
/// Needs `keys.manage` at account tier, and every permission the API user
/// holds, where it holds it (a key acts as the API user). The key stops working at once.
#[utoipa::path(
    delete,
    path = "/api-users/{id}/keys/{key_id}/",
    tag = "keys",
    params(
        ("id" = String, Path, description = "The API user's id."),
        ("key_id" = String, Path, description = "The key's id."),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks keys.manage, or a permission the API user holds", body = ErrorDetail),
        (status = 404, description = "No such API user or key", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_api_user_key(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key_id) = path.into_inner();
    state
        .db
        .write(move |conn| keys::revoke(conn, &caller, Owner::ApiUser(&id), &key_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
