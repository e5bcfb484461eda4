use actix_web::web;

use super::{SsoConnection, SsoConnectionWriteDoc};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::sso;
use crate::state::AppState;

/// Update single sign-on connection
///
/// Changes the fields sent; inside `oidc` and `saml`, too, only the fields
/// sent. A new `oidc.issuer` is fetched and checked as on creation, and so
/// is a `saml.idp_metadata_url` (send it again to refresh the IdP's
/// metadata after a certificate rotation). The settings object of the
/// other protocol is a 400. Needs `sso.manage`.
#[utoipa::path(
    patch,
    path = "/sso/connections/{id}/",
    tag = "sso",
    params(("id" = String, Path, description = "The connection's id.")),
    request_body(content = SsoConnectionWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = SsoConnection),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks sso.manage, or could not grant a role it names", body = ErrorDetail),
        (status = 404, description = "No such connection in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_sso_connection(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<SsoConnection>> {
    sso::authorize_manage(&caller)?;
    let mut input = sso::parse_connection_input(&body.fields()?, false);
    sso::check_issuer(&mut input).await;
    sso::fetch_saml_metadata(&mut input).await;
    let secrets = state.secrets.clone();
    let updated = state
        .db
        .write(move |conn| sso::update(conn, &caller, &secrets, &id, input))
        .await?;
    Ok(web::Json((updated, state.public_url.clone()).into()))
}
