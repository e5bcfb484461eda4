use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Delete team
///
/// Removes the team, the team-tier roles granted on it and its links to
/// targets (the targets and the users stay). Needs `teams.manage` at account
/// tier.
#[utoipa::path(
    delete,
    path = "/teams/{id}/",
    tag = "teams",
    params(("id" = String, Path, description = "A unique Base58 value identifying this team.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks teams.manage", body = ErrorDetail),
        (status = 404, description = "No such team in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_team(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| service::teams::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
