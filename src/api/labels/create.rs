use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{Label, LabelWriteDoc, parse_label_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::Mode;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Create label
///
/// Adds a user label to the caller's organization. `name` is required and
/// unique in the organization (compared case-insensitively); `color` defaults
/// to "". Needs `labels.manage`.
#[utoipa::path(
    post,
    path = "/labels/users/",
    tag = "labels",
    request_body(content = LabelWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new label", body = Label,
            headers(("Location" = String, description = "Path of the new label"))),
        (status = 400, description = "Invalid fields (e.g. a duplicate name)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks labels.manage", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_label(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    service::labels::authorize_create(&caller)?;
    let input = parse_label_input(&body.fields()?, Mode::Create);
    let row = state
        .db
        .write(move |conn| service::labels::create(conn, &caller, input))
        .await?;
    let location = format!("/labels/users/{}/", row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(Label::from(row)))
}
