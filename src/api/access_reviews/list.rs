use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::AccessReviewCampaignPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::db::access_reviews::CampaignFilter;
use crate::domain::access_reviews::ReviewStatus;
use crate::error::{Collect, FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_reviews;
use crate::state::AppState;

/// Query parameters of campaign lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_access_reviews()"
)]
pub struct CampaignListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// `open` or `closed`.
    #[param(pattern = "^(open|closed)?$")]
    status: Option<String>,
    /// Case-insensitive substring of the name.
    search: Option<String>,
}

/// List access review campaigns
///
/// The campaigns the caller may see, newest first: every campaign of the
/// organization with `access_review.view` organization-wide; otherwise those
/// it reviews (named as a reviewer, or holding items of a team where it
/// holds `roles.grant`). Any authenticated user may ask.
#[utoipa::path(
    get,
    path = "/access-reviews/",
    tag = "access-reviews",
    params(CampaignListParams),
    responses(
        (status = 200, description = "A page of campaigns", body = AccessReviewCampaignPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: what the caller may not see is left out, or a 404", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_access_reviews(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<AccessReviewCampaignPage>> {
    let query = Query::documented::<CampaignListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let status = query
        .first("status")
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| ReviewStatus::parse(s).collect(&mut errors, "status"));
    let search = query
        .first("search")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let filter = Parsed::new(CampaignFilter { status, search }, errors);
    let listed = state
        .db
        .read(move |conn| access_reviews::list(conn, &caller, filter, page))
        .await?;
    Ok(web::Json(listed.into()))
}
