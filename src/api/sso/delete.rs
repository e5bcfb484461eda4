use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::sso;
use crate::state::AppState;

/// Delete single sign-on connection
///
/// Its domains are free again, and sign-ins under way through it fail.
/// Accounts it created stay. Needs `sso.manage`.
#[utoipa::path(
    delete,
    path = "/sso/connections/{id}/",
    tag = "sso",
    params(("id" = String, Path, description = "The connection's id.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks sso.manage", body = ErrorDetail),
        (status = 404, description = "No such connection in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn delete_sso_connection(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    state
        .db
        .write(move |conn| sso::delete(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
