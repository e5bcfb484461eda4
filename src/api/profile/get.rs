use actix_web::web;

use crate::api::common::ErrorDetail;
use crate::api::users::UserView;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::state::AppState;

/// Retrieve own profile
///
/// The caller's own user, as `/users/{id}/` shows it.
#[utoipa::path(
    get,
    path = "/profile/",
    tag = "profile",
    responses(
        (status = 200, description = "The caller", body = UserView),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: every member may read itself", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_profile(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<UserView>> {
    let detail = state
        .db
        .read(move |conn| service::users::profile(conn, &caller))
        .await?;
    Ok(web::Json(detail.into()))
}
