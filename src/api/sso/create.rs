use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{SsoConnection, SsoConnectionWriteDoc, check_issuer, parse_connection_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::sso;
use crate::state::AppState;

/// Create single sign-on connection
///
/// Fetches the issuer's discovery document first: an unreachable or
/// malformed one is a 400 naming `oidc.issuer`. `default_role` and the
/// roles of `group_mapping` must be roles the caller could grant itself
/// (403 otherwise). Register `<public URL>/sso/oidc/callback/` as the
/// redirect URI at the provider. Needs `sso.manage`.
#[utoipa::path(
    post,
    path = "/sso/connections/",
    tag = "sso",
    request_body(content = SsoConnectionWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = SsoConnection),
        (status = 400, description = "Invalid fields (a bad issuer under `oidc.issuer`, a domain another connection uses under `domains`)", body = ValidationErrors),
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
    let mut input = parse_connection_input(&body.fields()?, true);
    check_issuer(&mut input).await;
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
        .json(SsoConnection::from(created)))
}
