use actix_web::web;

use super::SsoConnection;
use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::sso;
use crate::state::AppState;

/// Retrieve single sign-on connection
///
/// Needs `sso.manage`. The client secret is never shown.
#[utoipa::path(
    get,
    path = "/sso/connections/{id}/",
    tag = "sso",
    params(("id" = String, Path, description = "The connection's id.")),
    responses(
        (status = 200, description = "The connection", body = SsoConnection),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks sso.manage", body = ErrorDetail),
        (status = 404, description = "No such connection in the organization", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_sso_connection(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<SsoConnection>> {
    let found = state
        .db
        .read(move |conn| sso::get(conn, &caller, &id))
        .await?;
    Ok(web::Json((found, state.public_url.clone()).into()))
}
