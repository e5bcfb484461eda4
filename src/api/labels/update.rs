use actix_web::web;

use super::{Label, LabelWriteDoc, parse_label_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Update label
///
/// Replaces the label's writable fields: `name` is required, an omitted
/// `color` keeps its value (as in DRF). Needs `labels.manage`.
#[utoipa::path(
    put,
    path = "/labels/users/{id}/",
    tag = "labels",
    params(("id" = String, Path, description = "A unique Base58 value identifying this label.")),
    request_body(content = LabelWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated label", body = Label),
        (status = 400, description = "Invalid fields (e.g. a duplicate name)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks labels.manage", body = ErrorDetail),
        (status = 404, description = "No such label in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_label(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<Label>> {
    update(caller, state, id.into_inner(), body, Mode::Replace).await
}

/// Partially update label
///
/// Changes only the fields sent. Needs `labels.manage`.
#[utoipa::path(
    patch,
    path = "/labels/users/{id}/",
    tag = "labels",
    params(("id" = String, Path, description = "A unique Base58 value identifying this label.")),
    request_body(content = LabelWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated label", body = Label),
        (status = 400, description = "Invalid fields (e.g. a duplicate name)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks labels.manage", body = ErrorDetail),
        (status = 404, description = "No such label in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_label(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<Label>> {
    update(caller, state, id.into_inner(), body, Mode::Patch).await
}

async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    mode: Mode,
) -> Result<web::Json<Label>> {
    let input = parse_label_input(&body.fields()?, mode);
    let row = state
        .db
        .write(move |conn| service::labels::update(conn, &caller, &id, input))
        .await?;
    Ok(web::Json(row.into()))
}
