use actix_web::web;

use super::Invitation;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::auth::Caller;
use crate::error::Result;
use crate::service::invitations;
use crate::state::AppState;

/// Revoke invitation
///
/// Takes back a PENDING invitation: its link stops working (accepting it
/// answers `This invitation was revoked.`) and the user stays PENDING until
/// invited again. An invitation accepted, replaced, expired or revoked
/// already is a 400 under `non_field_errors`. Needs `users.manage` over the
/// invited user and every permission that user holds, as inviting them
/// does. Audited as `invitation.revoked`.
#[utoipa::path(
    post,
    path = "/invitations/{id}/revoke/",
    tag = "invitations",
    params(("id" = String, Path, description = "The invitation's id.")),
    responses(
        (status = 200, description = "The revoked invitation", body = Invitation),
        (status = 400, description = "The invitation is no longer pending", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage over the invited user, or a permission they hold", body = ErrorDetail),
        (status = 404, description = "No such invitation in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn revoke_invitation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Invitation>> {
    let id = id.into_inner();
    let revoked = state
        .db
        .write(move |conn| invitations::revoke(conn, &caller, &id))
        .await?;
    Ok(web::Json(revoked.into()))
}
