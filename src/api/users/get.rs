use actix_web::web;

use super::UserView;
use crate::api::common::ErrorDetail;
use crate::auth::caller::Credential;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve user
///
/// One person of the caller's organization. Another organization's id, an
/// API user's id or a malformed id is a 404.
#[utoipa::path(
    get,
    path = "/users/{id}/",
    tag = "users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this user.")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "No such user in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_user(
    credential: Credential,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<UserView>> {
    let id = id.into_inner();
    // The caller is found in the same read as the answer.
    let detail = state
        .db
        .lookup(move |conn| {
            let caller = credential.caller(conn)?;
            service::users::get(conn, &caller, &id, false)
        })
        .await?;
    Ok(web::Json(detail.into()))
}
