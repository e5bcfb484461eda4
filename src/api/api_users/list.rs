use actix_web::{HttpRequest, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::users::UserPage;
use crate::api::users::list::{UserListParams, list};
use crate::auth::caller::Credential;
use crate::error::Result;
use crate::state::AppState;

/// List API users
///
/// Applications of the caller's organization, a page at a time.
#[utoipa::path(
    get,
    path = "/api-users/",
    tag = "api-users",
    params(UserListParams),
    responses(
        (status = 200, description = "A page of API users", body = UserPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_api_users(
    credential: Credential,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<UserPage>> {
    list(credential, state, req, true).await
}
