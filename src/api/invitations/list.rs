use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::InvitationPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::db::invitations::InvitationFilter;
use crate::domain::PublicId;
use crate::domain::invitation::InvitationStatus;
use crate::domain::time;
use crate::domain::user::not_a_choice;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::invitations;
use crate::state::AppState;

/// Query parameters of the invitation list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_invitations()"
)]
pub struct InvitationListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Only the invitations of this user (id).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    user: Option<String>,
    /// Only invitations in this status: PENDING, ACCEPTED,
    /// SUPERSEDED, EXPIRED or REVOKED.
    status: Option<InvitationStatus>,
}

/// List invitations
///
/// The organization's invitations, newest first, without their tokens.
/// Needs `users.manage` (at any tier).
#[utoipa::path(
    get,
    path = "/invitations/",
    tag = "invitations",
    params(InvitationListParams),
    responses(
        (status = 200, description = "A page of invitations", body = InvitationPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_invitations(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<InvitationPage>> {
    let query = Query::documented::<InvitationListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let mut filter = InvitationFilter::default();
    if let Some(raw) = query.first("user").map(str::trim).filter(|v| !v.is_empty()) {
        match PublicId::parse(raw) {
            Some(id) => filter.user = Some(id.into_string()),
            None => errors.add("user", crate::service::does_not_exist(raw)),
        }
    }
    if let Some(raw) = query.first("status").filter(|v| !v.is_empty()) {
        match InvitationStatus::parse(raw) {
            Some(status) => filter.status = Some((status, time::now())),
            None => errors.add("status", not_a_choice(raw)),
        }
    }
    let filter = Parsed::new(filter, errors);
    let listed = state
        .db
        .read(move |conn| invitations::list(conn, &caller, filter, page))
        .await?;
    Ok(web::Json(listed.into()))
}
