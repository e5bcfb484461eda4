use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::SsoConnectionPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::sso;
use crate::state::AppState;

/// Query parameters of the connection list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_sso_connections()"
)]
pub struct SsoConnectionListParams {
    /// Page number, from 1.
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
}

/// List single sign-on connections
///
/// The organization's connections, oldest first. Needs `sso.manage`.
#[utoipa::path(
    get,
    path = "/sso/connections/",
    tag = "sso",
    params(SsoConnectionListParams),
    responses(
        (status = 200, description = "A page of connections", body = SsoConnectionPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks sso.manage", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_sso_connections(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<SsoConnectionPage>> {
    let query = Query::documented::<SsoConnectionListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = Parsed::new(page_request(&query, &mut errors), errors);
    let listed = state
        .db
        .read(move |conn| sso::list(conn, &caller, page))
        .await?;
    Ok(web::Json(
        super::with_public_url(listed, &state.public_url).into(),
    ))
}
