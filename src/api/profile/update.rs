use actix_web::web;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, Fields};
use crate::api::users::{Mode, UserView, parse_user_input};
use crate::auth::Caller;
use crate::error::Result;
use crate::service;
use crate::service::Parsed;
use crate::service::users::ProfileInput;
use crate::state::AppState;

/// What a person may change about itself; anything else sent (roles,
/// `active`, labels, contract dates, password) is ignored.
const OWN_FIELDS: [&str; 6] = [
    "email",
    "name",
    "title",
    "kind",
    "position",
    "additional_email_addresses",
];

/// Fields a person may change about itself.
#[derive(utoipa::ToSchema)]
#[schema(as = ProfileWrite)]
pub struct ProfileWriteDoc {
    /// Unique in the organization, compared case-insensitively. Stored in NFC with its domain IDNA-encoded (punycode, lowercase); control, format and default-ignorable characters (zero-width spaces and joiners, soft hyphen, BOM, ...) are refused.
    #[schema(nullable = false, format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 60,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: Option<String>,
    #[schema(nullable = false)]
    pub title: Option<crate::domain::user::Title>,
    #[schema(nullable)]
    pub kind: Option<crate::domain::user::Kind>,
    #[schema(nullable, max_length = 255)]
    pub position: Option<String>,
    #[schema(nullable = false)]
    pub additional_email_addresses: Option<Vec<String>>,
}

/// Update own profile
///
/// Changes the caller's own name, email, title, kind, position and
/// additional emails. Roles, `active`, labels, contract dates and the
/// password are ignored here (see `/profile/change_password/`).
#[utoipa::path(
    patch,
    path = "/profile/",
    tag = "profile",
    request_body(content = ProfileWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated caller", body = UserView),
        (status = 400, description = "Invalid fields (e.g. an email already taken)", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: every member may edit its own profile", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_profile(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<UserView>> {
    let Fields(map) = body.fields()?;
    let own = Fields(
        map.into_iter()
            .filter(|(k, _)| OWN_FIELDS.contains(&k.as_str()))
            .collect(),
    );
    let (parsed, _) = parse_user_input(&own, Mode::Patch, caller.user.is_apiuser);
    let user = parsed.value;
    let input = Parsed {
        value: ProfileInput {
            email: user.email,
            name: user.name,
            title: user.title,
            kind: user.kind,
            position: user.position,
            additional_email_addresses: user.additional_email_addresses,
        },
        errors: parsed.errors,
    };
    let detail = state
        .db
        .write(move |conn| service::users::update_profile(conn, &caller, input))
        .await?;
    Ok(web::Json(detail.into()))
}
