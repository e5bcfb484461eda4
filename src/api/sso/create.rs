use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{SsoConnection, SsoConnectionWriteDoc};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::sso;
use crate::state::AppState;

/// Create single sign-on connection
///
/// OpenID Connect (`protocol: oidc`, the default): fetches the issuer's
/// discovery document first: an unreachable or malformed one is a 400
/// naming `oidc.issuer`. Register `<public URL>/sso/oidc/callback/` as the
/// redirect URI at the provider.
///
/// SAML 2.0 (`protocol: saml`): takes the IdP's metadata inline or fetches
/// it from `saml.idp_metadata_url` (a failure is a 400 naming that field),
/// and generates the connection's service-provider key pair. Give the IdP
/// Tessera's metadata, `saml.sp_entity_id` (it is also the metadata's URL).
///
/// `default_role` and the roles of `group_mapping` must be roles the
/// caller could grant itself (403 otherwise). Needs `sso.manage`.
#[utoipa::path(
    post,
    path = "/sso/connections/",
    tag = "sso",
    request_body(content = SsoConnectionWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = SsoConnection),
        (status = 400, description = "Invalid fields (a bad issuer under `oidc.issuer`, bad IdP metadata under `saml.idp_metadata_xml` or `saml.idp_metadata_url`, a domain another connection uses under `domains`)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks sso.manage, or could not grant a role it names", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_sso_connection(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    sso::authorize_manage(&caller)?;
    let mut input = sso::parse_connection_input(&body.fields()?, true);
    sso::check_issuer(&mut input).await;
    sso::fetch_saml_metadata(&mut input).await;
    let secrets = state.secrets.clone();
    let created = state
        .db
        .write(move |conn| sso::create(conn, &caller, &secrets, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/sso/connections/{}/", created.row.id),
        ))
        .json(SsoConnection::from((created, state.public_url.clone()))))
}
