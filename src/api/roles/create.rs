use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{RoleView, RoleWriteDoc, parse_role_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Create role
///
/// A custom role. Needs `roles.manage` and every permission put into it.
#[utoipa::path(
    post,
    path = "/roles/",
    tag = "roles",
    request_body(content = RoleWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = RoleView,
            headers(("Location" = String, description = "Path of the new role"))),
        (status = 400, description = "Invalid fields (e.g. a duplicate name, a reserved permission)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks roles.manage or a permission put into the role", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_role(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    service::roles::authorize_create(&caller)?;
    let input = parse_role_input(&body.fields()?, true);
    let row = state
        .db
        .write(move |conn| service::roles::create(conn, &caller, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/roles/{}/", row.id)))
        .json(RoleView::from(row)))
}
