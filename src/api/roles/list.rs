use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::RolePage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::ListRequest;
use crate::auth::Caller;
use crate::db::roles::RoleOrderField;
use crate::error::Result;
use crate::service::{self, Parsed};
use crate::state::AppState;

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list_roles")]
pub struct RoleListParams {
    /// Page number, from 1.
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Case-insensitive substring of the name.
    search: Option<String>,
    /// name, created or changed; prefix `-` for descending. Default `name`.
    #[param(pattern = "^\\s*-?(name|created|changed)\\s*$")]
    ordering: Option<String>,
}

const ORDERINGS: [(&str, RoleOrderField); 3] = [
    ("name", RoleOrderField::Name),
    ("created", RoleOrderField::Created),
    ("changed", RoleOrderField::Changed),
];

/// List roles
///
/// The built-in roles and the organization's custom roles.
#[utoipa::path(
    get,
    path = "/roles/",
    tag = "roles",
    params(RoleListParams),
    responses(
        (status = 200, description = "A page of roles", body = RolePage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_roles(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<RolePage>> {
    let list =
        ListRequest::parse::<RoleListParams>(&req, &ORDERINGS, (RoleOrderField::Name, false))?;
    let (query, page) = (
        Parsed::new((list.search, list.ordering), list.errors),
        list.page,
    );
    let listed = state
        .db
        .read(move |conn| service::roles::list(conn, &caller, query, page))
        .await?;
    Ok(web::Json(listed.into()))
}
