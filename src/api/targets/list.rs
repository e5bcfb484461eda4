use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::TargetPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::ListRequest;
use crate::auth::Caller;
use crate::db::targets::{TargetFilter, TargetOrderField, TargetOrdering};
use crate::error::Result;
use crate::service::{self, Parsed};
use crate::state::AppState;

/// Query parameters of target lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list_targets()")]
pub struct TargetListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Case-insensitive substring of the name or the URL.
    search: Option<String>,
    /// name, changed or created; prefix `-` for descending. Default `name`; ties are broken by id.
    #[param(pattern = "^\\s*-?(name|changed|created)\\s*$")]
    ordering: Option<String>,
}

const ORDERINGS: [(&str, TargetOrderField); 3] = [
    ("name", TargetOrderField::Name),
    ("changed", TargetOrderField::Changed),
    ("created", TargetOrderField::Created),
];

/// List targets
///
/// Targets of the caller's organization, a page at a time, each with its
/// teams. Needs `targets.view`.
#[utoipa::path(
    get,
    path = "/targets/",
    tag = "targets",
    params(TargetListParams),
    responses(
        (status = 200, description = "A page of targets", body = TargetPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks targets.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_targets(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<TargetPage>> {
    let default = TargetOrdering::default();
    let list = ListRequest::parse::<TargetListParams>(
        &req,
        &ORDERINGS,
        (default.field, default.descending),
    )?;
    let (field, descending) = list.ordering;
    let filter = TargetFilter {
        search: list.search,
    };
    let (query, page) = (
        Parsed::new((filter, TargetOrdering { field, descending }), list.errors),
        list.page,
    );
    let listed = state
        .db
        .read(move |conn| service::targets::list(conn, &caller, query, page))
        .await?;
    Ok(web::Json(listed.into()))
}
