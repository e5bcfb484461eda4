use actix_web::web;

use super::{TeamView, TeamWriteDoc, parse_team_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Update team
///
/// Replaces the team's writable fields: `name` is required, an omitted
/// `description` keeps its value (as in DRF). Needs `teams.manage`.
#[utoipa::path(
    put,
    path = "/teams/{id}/",
    tag = "teams",
    params(("id" = String, Path, description = "A unique Base58 value identifying this team.")),
    request_body(content = TeamWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated team", body = TeamView),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks teams.manage", body = ErrorDetail),
        (status = 404, description = "No such team in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_team(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<TeamView>> {
    update(caller, state, id.into_inner(), body, Mode::Replace).await
}

/// Partially update team
///
/// Changes only the fields sent. Needs `teams.manage`.
#[utoipa::path(
    patch,
    path = "/teams/{id}/",
    tag = "teams",
    params(("id" = String, Path, description = "A unique Base58 value identifying this team.")),
    request_body(content = TeamWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated team", body = TeamView),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks teams.manage", body = ErrorDetail),
        (status = 404, description = "No such team in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_team(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<TeamView>> {
    update(caller, state, id.into_inner(), body, Mode::Patch).await
}

async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    mode: Mode,
) -> Result<web::Json<TeamView>> {
    let input = parse_team_input(&body.fields()?, mode);
    let row = state
        .db
        .write(move |conn| service::teams::update(conn, &caller, &id, input))
        .await?;
    Ok(web::Json(row.into()))
}
