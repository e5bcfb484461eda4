use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::{AccessReviewItem, AccessReviewItemPage};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::domain::access_reviews::Decision;
use crate::error::{Collect, FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_reviews::{self, ItemQuery};
use crate::state::AppState;

/// Query parameters of item lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_access_review_items()"
)]
pub struct ItemListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// `pending`, `keep` or `revoke`.
    #[param(pattern = "^(pending|keep|revoke)?$")]
    decision: Option<String>,
    /// Only the items of this user (id).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    user: Option<String>,
    /// Only the items decided by this reviewer (id).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    reviewer: Option<String>,
}

/// List access review items
///
/// The campaign's items, by user email: every item for its reviewers and
/// for `access_review.view` organization-wide, the items held at their
/// teams for team ADMINs.
#[utoipa::path(
    get,
    path = "/access-reviews/{id}/items/",
    tag = "access-reviews",
    params(
        ("id" = String, Path, description = "A unique Base58 value identifying this campaign."),
        ItemListParams,
    ),
    responses(
        (status = 200, description = "A page of items", body = AccessReviewItemPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: what the caller may not see is left out, or a 404", body = ErrorDetail),
        (status = 404, description = "No such campaign visible to the caller, or an invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_access_review_items(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<AccessReviewItemPage>> {
    let id = id.into_inner();
    let query = Query::documented::<ItemListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let text = |key: &str| {
        query
            .first(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let decision =
        text("decision").and_then(|s| Decision::parse(&s).collect(&mut errors, "decision"));
    let filter = Parsed::new(
        ItemQuery {
            decision,
            user: text("user"),
            reviewer: text("reviewer"),
        },
        errors,
    );
    let listed = state
        .db
        .read(move |conn| access_reviews::items(conn, &caller, &id, filter, page))
        .await?;
    Ok(web::Json(listed.into()))
}

/// Retrieve access review item
///
/// One item of the campaign, as the item list shows it.
#[utoipa::path(
    get,
    path = "/access-reviews/{id}/items/{item_id}/",
    tag = "access-reviews",
    params(
        ("id" = String, Path, description = "A unique Base58 value identifying this campaign."),
        ("item_id" = String, Path, description = "A unique Base58 value identifying this item."),
    ),
    responses(
        (status = 200, description = "The item", body = AccessReviewItem),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: what the caller may not see is left out, or a 404", body = ErrorDetail),
        (status = 404, description = "No such campaign or item visible to the caller", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_access_review_item(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<AccessReviewItem>> {
    let (id, item_id) = path.into_inner();
    let item = state
        .db
        .read(move |conn| access_reviews::get_item(conn, &caller, &id, &item_id))
        .await?;
    Ok(web::Json(item.into()))
}
