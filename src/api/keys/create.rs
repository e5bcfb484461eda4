use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{ApiKey, ApiKeyWriteDoc, CreatedApiKey, parse_key_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service::keys::{self, Owner};
use crate::state::AppState;

/// Create own key
///
/// A new API key for the caller. The secret (`key`) is in this answer only;
/// only its hash is stored.
#[utoipa::path(
    post,
    path = "/keys/",
    tag = "keys",
    request_body(content = ApiKeyWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created, with the secret", body = CreatedApiKey),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: own keys need no permission", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_key(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let input = parse_key_input(&body.fields()?);
    let (row, secret) = state
        .db
        .write(move |conn| keys::create(conn, &caller, Owner::Caller, input))
        .await?;
    Ok(created(format!("/keys/{}/", row.id), row.into(), secret))
}

/// Create an API user's key
///
/// Needs `keys.manage` at account tier, and every permission the API user
/// holds, where it holds it (a key acts as the API user). The secret is in
/// this answer only.
#[utoipa::path(
    post,
    path = "/api-users/{id}/keys/",
    tag = "keys",
    params(("id" = String, Path, description = "The API user's id.")),
    request_body(content = ApiKeyWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created, with the secret", body = CreatedApiKey),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks keys.manage, or a permission the API user holds", body = ErrorDetail),
        (status = 404, description = "No such API user in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_api_user_key(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let input = parse_key_input(&body.fields()?);
    let owner_id = id.clone();
    let (row, secret) = state
        .db
        .write(move |conn| keys::create(conn, &caller, Owner::ApiUser(&owner_id), input))
        .await?;
    Ok(created(
        format!("/api-users/{id}/keys/{}/", row.id),
        row.into(),
        secret,
    ))
}

fn created(location: String, details: ApiKey, key: String) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(CreatedApiKey { details, key })
}
