use actix_web::web;

use super::ApiKey;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::keys::{self, Owner};
use crate::state::AppState;

/// List own keys
///
/// The caller's API keys (no secrets). Needs no permission.
#[utoipa::path(
    get,
    path = "/keys/",
    tag = "keys",
    responses(
        (status = 200, description = "The caller's keys, oldest first", body = Vec<ApiKey>),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: own keys need no permission", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_keys(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ApiKey>>> {
    let rows = state
        .db
        .read(move |conn| keys::list(conn, &caller, Owner::Caller))
        .await?;
    Ok(web::Json(rows.into_iter().map(ApiKey::from).collect()))
}

/// List an API user's keys
///
/// Needs `keys.manage` at account tier, and every permission the API user
/// holds, where it holds it (a key acts as the API user).
#[utoipa::path(
    get,
    path = "/api-users/{id}/keys/",
    tag = "keys",
    params(("id" = String, Path, description = "The API user's id.")),
    responses(
        (status = 200, description = "The API user's keys, oldest first", body = Vec<ApiKey>),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks keys.manage, or a permission the API user holds", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_api_user_keys(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Vec<ApiKey>>> {
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| keys::list(conn, &caller, Owner::ApiUser(&id)))
        .await?;
    Ok(web::Json(rows.into_iter().map(ApiKey::from).collect()))
}
