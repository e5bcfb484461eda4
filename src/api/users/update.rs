use actix_web::web;

use super::{Mode, UserView, UserWriteDoc, parse_user_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::service::passwords;
use crate::state::AppState;

/// Update user
///
/// Replaces the user's writable fields: `email` and `name` are required,
/// omitted optional fields keep their values (as in DRF). Changing
/// `user_roles` needs `roles.grant` and is judged on what it adds or removes;
/// any change needs every permission the user holds, where it holds it (so
/// acting on an OWNER needs `owner.grant`); the last active OWNER cannot be
/// deactivated or demoted.
#[utoipa::path(
    put,
    path = "/users/{id}/",
    tag = "users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this user.")),
    request_body(content = UserWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user", body = UserView),
        (status = 400, description = "Invalid fields, or the last active owner would be lost", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission", body = ErrorDetail),
        (status = 404, description = "No such user in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<UserView>> {
    update(caller, state, id.into_inner(), body, Mode::Replace, false).await
}

/// Partially update user
///
/// Changes only the fields sent; `null` clears a nullable field. Same
/// permission rules as PUT.
#[utoipa::path(
    patch,
    path = "/users/{id}/",
    tag = "users",
    params(("id" = String, Path, description = "A unique Base58 value identifying this user.")),
    request_body(content = UserWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user", body = UserView),
        (status = 400, description = "Invalid fields, or the last active owner would be lost", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks a needed permission", body = ErrorDetail),
        (status = 404, description = "No such user in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn partial_update_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<web::Json<UserView>> {
    update(caller, state, id.into_inner(), body, Mode::Patch, false).await
}

pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: String,
    body: Body,
    mode: Mode,
    is_apiuser: bool,
) -> Result<web::Json<UserView>> {
    let fields = body.fields()?;
    let (mut input, password) = parse_user_input(&fields, mode, is_apiuser);
    if let Some(password) = password {
        // Hashing is costly: only for callers who may set this password.
        let (checker, user) = (caller.clone(), id.clone());
        state
            .db
            .read(move |conn| {
                service::users::authorize_password_change(conn, &checker, &user, is_apiuser)
            })
            .await?;
        if input.errors.is_empty() {
            // Judged against the user as stored and as this body renames it.
            let (reader, user_id) = (caller.clone(), id.clone());
            let mut owner = state
                .db
                .read(move |conn| passwords::stored_owner(conn, &reader, &user_id, is_apiuser))
                .await?;
            if let Some(email) = &input.value.email {
                owner = owner.email(email.as_str());
            }
            if let Some(name) = &input.value.name {
                owner = owner.name(name.as_str());
            }
            match passwords::judge_and_hash(&state.hasher, password, owner).await? {
                Ok(hash) => input.value.password_hash = Some(hash),
                Err(weak) => input.errors.add("password", weak),
            }
        }
    }
    let detail = state
        .db
        .write(move |conn| service::users::update(conn, &caller, &id, is_apiuser, input))
        .await?;
    Ok(web::Json(detail.into()))
}
