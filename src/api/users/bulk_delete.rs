use actix_web::web;
use utoipa::ToSchema;

use super::bulk_update::{BulkIds, InvalidIds, parse_ids};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service;
use crate::state::AppState;

/// The ids of a bulk delete.
#[derive(ToSchema)]
#[schema(as = BulkDelete)]
pub struct BulkDeleteDoc {
    /// User ids (at most 1000; duplicates count once).
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<String>,
}

/// Bulk delete users
///
/// Deletes each user of `ids` in one transaction: all of them go or none
/// does. Each user is judged by the same rules as a DELETE of that user
/// (`users.manage`, every permission the user holds, the last active OWNER), in
/// the order given. Unknown ids are a 404 listing them before anything
/// changes; a 403 for any id is a 403 for the request. Each id runs in its
/// own savepoint, so the 400 lists every failing id with its errors,
/// `{"ids": {"<id>": {"non_field_errors": ["message"]}}}`.
#[utoipa::path(
    post,
    path = "/users/bulk/delete/",
    tag = "users",
    request_body(content = BulkDeleteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Every user was deleted", body = BulkIds),
        (status = 400, description = "Invalid ids, or a rule broken for some ids (`{\"ids\": {\"<id>\": {...}}}`); nothing deleted", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage, or a permission the user holds, for some id; nothing deleted", body = ErrorDetail),
        (status = 404, description = "Some ids are not users of the organization; nothing deleted", body = InvalidIds),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn bulk_delete_users(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<BulkIds>> {
    bulk_delete(caller, state, body, false).await
}

/// Bulk delete API users
///
/// As `POST /users/bulk/delete/`, for API users (their keys go with them):
/// a person's id is an invalid id here.
#[utoipa::path(
    post,
    path = "/api-users/bulk/delete/",
    tag = "api-users",
    request_body(content = BulkDeleteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "Every API user was deleted", body = BulkIds),
        (status = 400, description = "Invalid ids, or a rule broken for some ids (`{\"ids\": {\"<id>\": {...}}}`); nothing deleted", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage, or a permission the user holds, for some id; nothing deleted", body = ErrorDetail),
        (status = 404, description = "Some ids are not API users of the organization; nothing deleted", body = InvalidIds),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn bulk_delete_api_users(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<BulkIds>> {
    bulk_delete(caller, state, body, true).await
}

async fn bulk_delete(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
    is_apiuser: bool,
) -> Result<web::Json<BulkIds>> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let ids = parse_ids(&fields, &mut errors);
    errors.into_result()?;
    let ids = ids.expect("parsed when there are no errors");
    let answer = ids.clone();
    state
        .db
        .write(move |conn| service::bulk::delete_users(conn, &caller, &ids, is_apiuser))
        .await?;
    Ok(web::Json(BulkIds { ids: answer }))
}
