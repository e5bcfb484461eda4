use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::TeamPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::ListRequest;
use crate::auth::Caller;
use crate::db::teams::{TeamFilter, TeamOrderField, TeamOrdering};
use crate::error::Result;
use crate::service::{self, Parsed};
use crate::state::AppState;

/// Query parameters of team lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list_teams()")]
pub struct TeamListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Case-insensitive substring of the name.
    search: Option<String>,
    /// name, changed or created; prefix `-` for descending. Default `name`; ties are broken by id.
    #[param(pattern = "^\\s*-?(name|changed|created)\\s*$")]
    ordering: Option<String>,
}

const ORDERINGS: [(&str, TeamOrderField); 3] = [
    ("name", TeamOrderField::Name),
    ("changed", TeamOrderField::Changed),
    ("created", TeamOrderField::Created),
];

/// List teams
///
/// Teams of the caller's organization, a page at a time. Needs `users.view`.
#[utoipa::path(
    get,
    path = "/teams/",
    tag = "teams",
    params(TeamListParams),
    responses(
        (status = 200, description = "A page of teams", body = TeamPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_teams(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<TeamPage>> {
    let default = TeamOrdering::default();
    let list = ListRequest::parse::<TeamListParams>(
        &req,
        &ORDERINGS,
        (default.field, default.descending),
    )?;
    let (field, descending) = list.ordering;
    let filter = TeamFilter {
        search: list.search,
        ..TeamFilter::default()
    };
    let (query, page) = (
        Parsed::new((filter, TeamOrdering { field, descending }), list.errors),
        list.page,
    );
    let listed = state
        .db
        .read(move |conn| service::teams::list(conn, &caller, query, page))
        .await?;
    Ok(web::Json(listed.into()))
}
