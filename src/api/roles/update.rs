use actix_web::web;

use super::{RoleView, RoleWriteDoc, parse_role_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Update role
///
/// Replaces a custom role's fields (`name` required; omitted optional fields
/// keep their values). Built-in roles are read-only (400).
#[utoipa::path(
    put,
    path = "/roles/{id}/",
    tag = "roles",
    params(("id" = String, Path, description = "A unique Base58 value identifying this role.")),
    request_body(content = RoleWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated role", body = RoleView),
        (status = 400, description = "Invalid fields, or a built-in role", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks roles.manage or a permission put into the role", body = ErrorDetail),
        (status = 404, description = "No such role in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_role(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<RoleView>> {
    update(caller, state, id.into_inner(), body, true).await
}

/// Partially update role
///
/// Changes only the fields sent. Built-in roles are read-only (400).
#[utoipa::path(
    patch,
    path = "/roles/{id}/",
    tag = "roles",
    params(("id" = String, Path, description = "A unique Base58 value identifying this role.")),
    request_body(content = RoleWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated role", body = RoleView),
        (status = 400, description = "Invalid fields, or a built-in role", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks roles.manage or a permission put into the role", body = ErrorDetail),
        (status = 404, description = "No such role in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_role(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<RoleView>> {
    update(caller, state, id.into_inner(), body, false).await
}

async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    required: bool,
) -> Result<web::Json<RoleView>> {
    let input = parse_role_input(&body.fields()?, required);
    let row = state
        .db
        .write(move |conn| service::roles::update(conn, &caller, &id, input))
        .await?;
    Ok(web::Json(row.into()))
}
