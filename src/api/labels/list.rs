use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::LabelPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::ListRequest;
use crate::auth::Caller;
use crate::db::labels::{LabelFilter, LabelOrderField, LabelOrdering};
use crate::error::Result;
use crate::service::{self, Parsed};
use crate::state::AppState;

/// Query parameters of label lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list_labels()")]
pub struct LabelListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Case-insensitive substring of the name.
    search: Option<String>,
    /// name, changed or created; prefix `-` for descending. Default `name` (case-insensitive); ties are broken by id.
    #[param(pattern = "^\\s*-?(name|changed|created)\\s*$")]
    ordering: Option<String>,
}

const ORDERINGS: [(&str, LabelOrderField); 3] = [
    ("name", LabelOrderField::Name),
    ("changed", LabelOrderField::Changed),
    ("created", LabelOrderField::Created),
];

/// List labels
///
/// User labels of the caller's organization, a page at a time. Needs
/// `users.view`.
#[utoipa::path(
    get,
    path = "/labels/users/",
    tag = "labels",
    params(LabelListParams),
    responses(
        (status = 200, description = "A page of labels", body = LabelPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_labels(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<LabelPage>> {
    let list =
        ListRequest::parse::<LabelListParams>(&req, &ORDERINGS, (LabelOrderField::Name, false))?;
    let (field, descending) = list.ordering;
    let filter = LabelFilter {
        search: list.search,
    };
    let (query, page) = (
        Parsed::new((filter, LabelOrdering { field, descending }), list.errors),
        list.page,
    );
    let listed = state
        .db
        .read(move |conn| service::labels::list(conn, &caller, query, page))
        .await?;
    Ok(web::Json(listed.into()))
}
