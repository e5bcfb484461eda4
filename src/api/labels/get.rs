use actix_web::web;

use super::Label;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve label
///
/// One user label of the caller's organization. Another organization's id or
/// a malformed id is a 404. Needs `users.view`.
#[utoipa::path(
    get,
    path = "/labels/users/{id}/",
    tag = "labels",
    params(("id" = String, Path, description = "A unique Base58 value identifying this label.")),
    responses(
        (status = 200, description = "The label", body = Label),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "No such label in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_label(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Label>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| service::labels::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(row.into()))
}
