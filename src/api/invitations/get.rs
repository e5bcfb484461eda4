use actix_web::web;

use super::Invitation;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::invitations;
use crate::state::AppState;

/// Retrieve invitation
///
/// One invitation, with how its mail stands. Needs `users.manage` (at any tier).
#[utoipa::path(
    get,
    path = "/invitations/{id}/",
    tag = "invitations",
    params(("id" = String, Path, description = "The invitation's id.")),
    responses(
        (status = 200, description = "The invitation", body = Invitation),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage", body = ErrorDetail),
        (status = 404, description = "No such invitation in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_invitation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Invitation>> {
    let detail = state
        .db
        .read(move |conn| invitations::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(detail.into()))
}
