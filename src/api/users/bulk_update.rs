use actix_web::web;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::{Mode, parse_user_input, user_write_without};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, Fields, REQUIRED};
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service::{self, bulk::MAX_IDS};
use crate::state::AppState;

pub const NOT_IN_BULK: &str = "This field cannot be changed in bulk.";
pub const EMPTY_LIST: &str = "This list may not be empty.";

/// The ids a bulk request named.
#[derive(Serialize, ToSchema)]
#[schema(as = BulkIds)]
pub struct BulkIds {
    /// User ids (at most 1000; duplicates count once).
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<String>,
}

/// A 404 naming the ids that are not users of this kind in the organization.
#[derive(Serialize, ToSchema)]
pub struct InvalidIds {
    #[schema(example = "Not found.")]
    pub detail: String,
    pub invalid_ids: Vec<String>,
}

/// The ids and the writable fields of a bulk update: every field of a
/// user's PATCH except `email` and `password`, derived from the user write
/// DTO so the two cannot drift.
pub struct BulkUserUpdate;

impl utoipa::PartialSchema for BulkUserUpdate {
    fn schema() -> RefOr<Schema> {
        let mut object = user_write_without(
            &["email", "password"],
            "The ids and the writable fields of a bulk update: every field of a user's PATCH \
             except `email` and `password`.",
        );
        let ids = <BulkIds as utoipa::PartialSchema>::schema();
        let RefOr::T(Schema::Object(ids)) = ids else {
            unreachable!("BulkIds derives an object schema")
        };
        object.properties.extend(ids.properties);
        object.required = ids.required;
        Schema::Object(object).into()
    }
}

impl ToSchema for BulkUserUpdate {}

/// Reads `ids`: a non-empty list of at most 1000 strings, returned in the
/// order given with duplicates dropped.
pub(super) fn parse_ids(fields: &Fields, errors: &mut FieldErrors) -> Option<Vec<String>> {
    if !fields.has("ids") {
        errors.add("ids", REQUIRED);
        return None;
    }
    let items = fields.list("ids", errors, MAX_IDS)?;
    if items.is_empty() {
        errors.add("ids", EMPTY_LIST);
        return None;
    }
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => ids.push(s),
            _ => {
                errors.add("ids", "Each id must be a string.");
                return None;
            }
        }
    }
    Some(service::bulk::dedup(ids))
}

/// Bulk update users
///
/// Applies the same fields (any writable field but `email` and `password`)
/// to each user of `ids`, in one transaction: all of them change or none
/// does. Each user is judged by the same rules as a PATCH of that user
/// (permissions where the user is, every permission the user holds, the
/// last active OWNER), in the order given. Unknown ids are a 404 listing them
/// before anything changes; a 403 for any id is a 403 for the request. Each
/// id runs in its own savepoint, so the 400 lists every failing id with its
/// errors, `{"ids": {"<id>": {"field": ["message"]}}}`; errors in the shared
/// fields are a plain 400 on those fields.
#[utoipa::path(
    post,
    path = "/users/bulk/update/",
    tag = "users",
    request_body(content = BulkUserUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "Every user was updated", body = BulkIds),
        (status = 400, description = "Invalid ids or fields, or a rule broken for some ids (`{\"ids\": {\"<id>\": {...}}}`); nothing changed", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission for some id; nothing changed", body = ErrorDetail),
        (status = 404, description = "Some ids are not users of the organization; nothing changed", body = InvalidIds),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn bulk_update_users(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<BulkIds>> {
    bulk_update(caller, state, body, false).await
}

/// Bulk update API users
///
/// As `POST /users/bulk/update/`, for API users: a person's id is an
/// invalid id here.
#[utoipa::path(
    post,
    path = "/api-users/bulk/update/",
    tag = "api-users",
    request_body(content = BulkUserUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "Every API user was updated", body = BulkIds),
        (status = 400, description = "Invalid ids or fields, or a rule broken for some ids (`{\"ids\": {\"<id>\": {...}}}`); nothing changed", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission for some id; nothing changed", body = ErrorDetail),
        (status = 404, description = "Some ids are not API users of the organization; nothing changed", body = InvalidIds),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn bulk_update_api_users(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<BulkIds>> {
    bulk_update(caller, state, body, true).await
}

async fn bulk_update(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
    is_apiuser: bool,
) -> Result<web::Json<BulkIds>> {
    let mut fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let ids = parse_ids(&fields, &mut errors);
    fields.0.remove("ids");
    for key in ["email", "password"] {
        if fields.0.remove(key).is_some() {
            errors.add(key, NOT_IN_BULK);
        }
    }
    errors.into_result()?;
    let ids = ids.expect("parsed when there are no errors");
    let (input, _no_password) = parse_user_input(&fields, Mode::Patch, is_apiuser);
    let answer = ids.clone();
    state
        .db
        .write(move |conn| service::bulk::update_users(conn, &caller, &ids, is_apiuser, input))
        .await?;
    Ok(web::Json(BulkIds { ids: answer }))
}
