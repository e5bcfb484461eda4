use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::AccessRequestPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, ordering, page_request};
use crate::auth::Caller;
use crate::domain::PublicId;
use crate::domain::access_request::AccessRequestStatus;
use crate::domain::role::BuiltinRole;
use crate::domain::time;
use crate::domain::user::not_a_choice;
use crate::error::{FieldErrors, Result};
use crate::service::access_requests::{self, AccessRequestQuery};
use crate::service::{Parsed, does_not_exist};
use crate::state::AppState;

/// Query parameters of the access request list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_access_requests()"
)]
pub struct AccessRequestListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// `created` or `-created` (the default: newest first).
    #[param(pattern = "^\\s*-?created\\s*$")]
    ordering: Option<String>,
    /// Only requests in this status: PENDING, APPROVED, DENIED, CANCELLED or EXPIRED.
    status: Option<AccessRequestStatus>,
    /// Only the requests of this user (id).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    requester: Option<String>,
    /// Only requests for this role (id or built-in name).
    role: Option<String>,
    /// `true`: only the caller's own requests.
    mine: Option<bool>,
    /// `true`: only pending requests the caller may decide.
    approvable: Option<bool>,
}

/// List access requests
///
/// The requests the caller may see: its own, those it could decide (it
/// could grant the role there and holds every permission the requester
/// holds), and, for account-tier holders of `access_review.view`, every
/// request of the organization. Newest first.
#[utoipa::path(
    get,
    path = "/access-requests/",
    tag = "access-requests",
    params(AccessRequestListParams),
    responses(
        (status = 200, description = "A page of access requests", body = AccessRequestPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: the list holds only what the caller may see", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_access_requests(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<AccessRequestPage>> {
    let query = Query::documented::<AccessRequestListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let mut parsed = AccessRequestQuery::default();
    if let Some((_, descending)) = ordering(&query, &[("created", ())], &mut errors) {
        parsed.ascending = !descending;
    }
    if let Some(raw) = query.first("status").filter(|v| !v.is_empty()) {
        match AccessRequestStatus::parse(raw) {
            Some(status) => parsed.filter.status = Some((status, time::now())),
            None => errors.add("status", not_a_choice(raw)),
        }
    }
    if let Some(raw) = query
        .first("requester")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        match PublicId::parse(raw) {
            Some(id) => parsed.filter.requester = Some(id.into_string()),
            None => errors.add("requester", does_not_exist(raw)),
        }
    }
    if let Some(raw) = query.first("role").map(str::trim).filter(|v| !v.is_empty()) {
        match BuiltinRole::by_name(raw).map(|b| b.id().to_owned()) {
            Some(id) => parsed.filter.role = Some(id),
            None => match PublicId::parse(raw) {
                Some(id) => parsed.filter.role = Some(id.into_string()),
                None => errors.add("role", does_not_exist(raw)),
            },
        }
    }
    parsed.mine = query.boolean("mine", &mut errors).unwrap_or(false);
    parsed.approvable = query.boolean("approvable", &mut errors).unwrap_or(false);
    let input = Parsed::new(parsed, errors);
    let listed = state
        .db
        .read(move |conn| access_requests::list(conn, &caller, input, page))
        .await?;
    Ok(web::Json(listed.into()))
}
