use actix_web::{HttpResponse, web};

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::api::users::create::create;
use crate::api::users::{ApiUserWrite, UserView};
use crate::auth::Caller;
use crate::error::Result;
use crate::state::AppState;

/// Create API user
///
/// An application of the organization (`name` and `email` required; no
/// password: give it keys at `/api-users/{id}/keys/`). Needs `users.manage`.
#[utoipa::path(
    post,
    path = "/api-users/",
    tag = "api-users",
    request_body(content = ApiUserWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new API user", body = UserView,
            headers(("Location" = String, description = "Path of the new API user"))),
        (status = 400, description = "Invalid fields (e.g. a password was sent)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage or a permission of a role granted", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_api_user(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    create(caller, state, body, true, "/api-users").await
}
