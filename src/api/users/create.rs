use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::{Mode, UserView, UserWriteDoc, parse_user_input};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::domain::user::PasswordOwner;
use crate::error::Result;
use crate::service;
use crate::service::Parsed;
use crate::service::passwords;
use crate::service::users::NewUser;
use crate::state::AppState;

/// Create user
///
/// Adds a person to the caller's organization. Without `user_roles` the
/// membership role is EMPLOYEE. Needs `users.manage` (and `roles.grant`
/// holding every permission of any other role granted).
#[utoipa::path(
    post,
    path = "/users/",
    tag = "users",
    request_body(content = UserWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new user", body = UserView,
            headers(("Location" = String, description = "Path of the new user"))),
        (status = 400, description = "Invalid fields (e.g. a duplicate email)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage or a permission of a role granted", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_user(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    create(caller, state, body, false, "/users").await
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
    is_apiuser: bool,
    base: &str,
) -> Result<HttpResponse> {
    // Authorized before the body is read, and before a password costs a hash.
    service::users::authorize_create(&caller)?;
    let fields = body.fields()?;
    let (mut input, password) = parse_user_input(&fields, Mode::Create, is_apiuser);
    if let Some(password) = password.filter(|_| input.errors.is_empty()) {
        let mut owner = PasswordOwner::default();
        if let (Some(email), Some(name)) = (&input.value.email, &input.value.name) {
            owner = owner.email(email.as_str()).name(name.as_str());
        }
        match passwords::judge_and_hash(&state.hasher, password, owner).await? {
            Ok(hash) => input.value.password_hash = Some(hash),
            Err(weak) => input.errors.add("password", weak),
        }
    }
    let input = Parsed::new(NewUser::manual(input.value), input.errors);
    let detail = state
        .db
        .write(move |conn| service::users::create(conn, &caller, is_apiuser, input))
        .await?;
    let location = format!("{base}/{}/", detail.user.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(UserView::from(detail)))
}
