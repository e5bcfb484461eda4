use actix_web::web;

use super::{TargetView, TargetWriteDoc, parse_target_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Update target
///
/// Replaces the target's writable fields: `name` is required, omitted
/// optional fields keep their values (as in DRF); `teams`, when sent,
/// replaces the target's teams. Needs `targets.manage`.
#[utoipa::path(
    put,
    path = "/targets/{id}/",
    tag = "targets",
    params(("id" = String, Path, description = "A unique Base58 value identifying this target.")),
    request_body(content = TargetWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated target", body = TargetView),
        (status = 400, description = "Invalid fields (e.g. an unknown team id)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.manage", body = ErrorDetail),
        (status = 404, description = "No such target in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_target(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<TargetView>> {
    update(caller, state, id.into_inner(), body, Mode::Replace).await
}

/// Partially update target
///
/// Changes only the fields sent; `teams`, when sent, replaces the target's
/// teams. Needs `targets.manage`.
#[utoipa::path(
    patch,
    path = "/targets/{id}/",
    tag = "targets",
    params(("id" = String, Path, description = "A unique Base58 value identifying this target.")),
    request_body(content = TargetWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated target", body = TargetView),
        (status = 400, description = "Invalid fields (e.g. an unknown team id)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.manage", body = ErrorDetail),
        (status = 404, description = "No such target in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_target(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<TargetView>> {
    update(caller, state, id.into_inner(), body, Mode::Patch).await
}

async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    mode: Mode,
) -> Result<web::Json<TargetView>> {
    let input = parse_target_input(&body.fields()?, mode);
    let detail = state
        .db
        .write(move |conn| service::targets::update(conn, &caller, &id, input))
        .await?;
    Ok(web::Json(detail.into()))
}
