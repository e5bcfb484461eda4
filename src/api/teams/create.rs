use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{TeamView, TeamWriteDoc, parse_team_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Create team
///
/// Adds a team to the caller's organization. Needs `teams.manage` at
/// account tier (a team-tier grant never creates teams).
#[utoipa::path(
    post,
    path = "/teams/",
    tag = "teams",
    request_body(content = TeamWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new team", body = TeamView,
            headers(("Location" = String, description = "Path of the new team"))),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks teams.manage", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_team(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    service::teams::authorize_create(&caller)?;
    let input = parse_team_input(&body.fields()?, Mode::Create);
    let row = state
        .db
        .write(move |conn| service::teams::create(conn, &caller, input))
        .await?;
    let location = format!("/teams/{}/", row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(TeamView::from(row)))
}
