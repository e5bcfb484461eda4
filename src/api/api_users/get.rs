use actix_web::web;

use crate::api::common::ErrorDetail;
use crate::api::users::UserView;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve API user
#[utoipa::path(
    get,
    path = "/api-users/{id}/",
    tag = "api-users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this API user.")),
    responses(
        (status = 200, description = "The API user", body = UserView),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_api_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<UserView>> {
    let id = id.into_inner();
    let detail = state
        .db
        .read(move |conn| service::users::get(conn, &caller, &id, true))
        .await?;
    Ok(web::Json(detail.into()))
}
