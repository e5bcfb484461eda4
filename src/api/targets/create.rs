use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{TargetView, TargetWriteDoc, parse_target_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Create target
///
/// Adds a target to the caller's organization, optionally in some of its
/// teams. Needs `targets.manage` at account tier.
#[utoipa::path(
    post,
    path = "/targets/",
    tag = "targets",
    request_body(content = TargetWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new target", body = TargetView,
            headers(("Location" = String, description = "Path of the new target"))),
        (status = 400, description = "Invalid fields (e.g. an unknown team id)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.manage", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_target(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    service::targets::authorize_create(&caller)?;
    let input = parse_target_input(&body.fields()?, Mode::Create);
    let detail = state
        .db
        .write(move |conn| service::targets::create(conn, &caller, input))
        .await?;
    let location = format!("/targets/{}/", detail.target.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(TargetView::from(detail)))
}
