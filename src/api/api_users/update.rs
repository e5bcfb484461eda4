use actix_web::web;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::update::update;
use crate::api::users::{ApiUserWrite, Mode, UserView};
use crate::auth::Caller;
use crate::error::Result;
use crate::state::AppState;

/// Update API user
///
/// Same rules as `PUT /users/{id}/`; API users have no password.
#[utoipa::path(
    put,
    path = "/api-users/{id}/",
    tag = "api-users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this API user.")),
    request_body(content = ApiUserWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated API user", body = UserView),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_api_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<UserView>> {
    update(caller, state, id.into_inner(), body, Mode::Replace, true).await
}

/// Partially update API user
///
/// Same rules as `PATCH /users/{id}/`; deactivating an API user disables its keys at once.
#[utoipa::path(
    patch,
    path = "/api-users/{id}/",
    tag = "api-users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this API user.")),
    request_body(content = ApiUserWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated API user", body = UserView),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_api_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<UserView>> {
    update(caller, state, id.into_inner(), body, Mode::Patch, true).await
}
