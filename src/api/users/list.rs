use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::UserPage;
use crate::api::common::{ErrorDetail, IdParam, RoleParam, ValidationErrors};
use crate::api::extract::{ListRequest, Query};
use crate::auth::caller::Credential;
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::id::PublicId;
use crate::domain::role::BuiltinRole;
use crate::domain::user::{Kind, State, not_a_choice};
use crate::error::{FieldErrors, Result};
use crate::service::users::UserQuery;
use crate::service::{self, Parsed};
use crate::state::AppState;

/// Query parameters of user lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list()")]
pub struct UserListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// Case-insensitive substring of name or email.
    search: Option<String>,
    /// name, email, changed, created or last_login; prefix `-` for descending. Default `-changed`; ties are broken by id. Names and e-mails sort ignoring case and accents ("émile" before "Zed"), the same on SQLite and PostgreSQL.
    #[param(pattern = "^\\s*-?(name|email|changed|created|last_login)\\s*$")]
    ordering: Option<String>,
    /// Only active (true) or deactivated (false) users. Accepts true/false/True/False/1/0.
    active: Option<bool>,
    /// Only users with (true) or without (false) TOTP enrolment. Accepts true/false/True/False/1/0.
    mfa_enabled: Option<bool>,
    /// PENDING (active, no password yet; never an API user), ACTIVE or DEACTIVATED (not active).
    #[param(pattern = "^\\s*(PENDING|ACTIVE|DEACTIVATED)?\\s*$")]
    state: Option<String>,
    /// employee, contractor or service_account (case-insensitive).
    #[param(
        pattern = "^\\s*([eE][mM][pP][lL][oO][yY][eE][eE]|[cC][oO][nN][tT][rR][aA][cC][tT][oO][rR]|[sS][eE][rR][vV][iI][cC][eE]_[aA][cC][cC][oO][uU][nN][tT])?\\s*$"
    )]
    kind: Option<String>,
    /// A label id; repeat (`label=a&label=b`, at most 100) for several. Combined as `label_logical_operator` says.
    #[param(value_type = Option<Vec<IdParam>>)]
    label: Option<Vec<String>>,
    /// `or` (default): users with any of the labels; `and`: users with all of them.
    #[param(pattern = "^\\s*([aA][nN][dD]|[oO][rR])?\\s*$")]
    label_logical_operator: Option<String>,
    /// A role id or a built-in role name (e.g. `VIEWER`, any case); repeatable (at most 100): users holding any of them at any tier.
    #[param(value_type = Option<Vec<RoleParam>>)]
    role: Option<Vec<String>>,
    /// A team id; repeatable (at most 100): users holding a role at any of these teams.
    #[param(value_type = Option<Vec<IdParam>>)]
    team: Option<Vec<String>>,
    /// A target id; repeatable (at most 100): users holding a scope-tier role at any of these targets.
    #[param(value_type = Option<Vec<IdParam>>)]
    target: Option<Vec<String>>,
    /// A team id; repeatable (at most 100): leaves out users holding a role at any of these teams (Probely's `exclude_team`, for picking people to add to a team).
    #[param(value_type = Option<Vec<IdParam>>)]
    exclude_team: Option<Vec<String>>,
    /// A target id; repeatable (at most 100): leaves out users holding a scope-tier role at any of these targets (Probely's `exclude_target`).
    #[param(value_type = Option<Vec<IdParam>>)]
    exclude_target: Option<Vec<String>>,
    /// An organization id (Probely's `account`). A caller only ever lists its own organization: its id lists it, any other id an empty page.
    #[param(value_type = Option<IdParam>)]
    account: Option<String>,
    /// true: users with only their membership role (no team- or scope-tier role); false: users with at least one.
    no_access: Option<bool>,
    /// A user id to leave out; repeatable (at most 100). Probely documents its `exclude` as fields to leave out of the response; Tessera reads it as users to leave out of the list, and always answers every field.
    #[param(value_type = Option<Vec<IdParam>>)]
    exclude: Option<Vec<String>>,
    /// A user id; repeatable (at most 100): only these users.
    #[param(value_type = Option<Vec<IdParam>>)]
    id: Option<Vec<String>>,
    /// With `id`: when any given id names no user of this list, answer 404 `{"detail": "Not found.", "is_id_404_validation": true, "invalid_ids": [...]}`.
    is_id_404_validation: Option<bool>,
}

/// Most values a repeatable filter takes.
pub const MAX_REPEATED: usize = 100;

/// The values of a repeatable id parameter (blank ones ignored); a malformed
/// id or too many values is a 400 naming the parameter.
fn ids(query: &Query, key: &str, errors: &mut FieldErrors) -> Vec<String> {
    repeated(query, key, errors, id)
}

/// An object id, or the message naming what is not one.
fn id(raw: &str) -> std::result::Result<String, String> {
    PublicId::parse(raw)
        .map(PublicId::into_string)
        .ok_or_else(|| format!("\"{raw}\" is not a valid id."))
}

/// The distinct values of a repeatable parameter, each read by `parse`
/// (blank ones ignored); a bad value or too many values is a 400 naming the
/// parameter.
fn repeated(
    query: &Query,
    key: &str,
    errors: &mut FieldErrors,
    parse: impl Fn(&str) -> std::result::Result<String, String>,
) -> Vec<String> {
    let values: Vec<&str> = query
        .all(key)
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > MAX_REPEATED {
        errors.add(
            key,
            format!("Ensure this parameter has no more than {MAX_REPEATED} values."),
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        match parse(value) {
            Ok(parsed) => {
                if !out.contains(&parsed) {
                    out.push(parsed);
                }
            }
            Err(message) => errors.add(key, message),
        }
    }
    out
}

/// A single-valued choice parameter (blank means absent).
fn choice<T>(
    query: &Query,
    key: &str,
    errors: &mut FieldErrors,
    parse: impl FnOnce(&str) -> std::result::Result<T, String>,
) -> Option<T> {
    let raw = query.first(key).map(str::trim).filter(|v| !v.is_empty())?;
    parse(raw).map_err(|message| errors.add(key, message)).ok()
}

/// A role id, or a built-in role's name (any case).
fn role(raw: &str) -> std::result::Result<String, String> {
    if let Some(builtin) = BuiltinRole::by_name(&raw.to_ascii_uppercase()) {
        return Ok(builtin.id().to_owned());
    }
    PublicId::parse(raw)
        .map(PublicId::into_string)
        .ok_or_else(|| format!("\"{raw}\" is not a valid role id or name."))
}

/// Reads the filters of a user list; all parameter errors land in `errors`.
fn read_filter(
    query: &Query,
    errors: &mut FieldErrors,
    is_apiuser: bool,
    search: Option<String>,
) -> UserFilter {
    UserFilter {
        is_apiuser,
        search,
        active: query.boolean("active", errors),
        mfa_enabled: query.boolean("mfa_enabled", errors),
        state: choice(query, "state", errors, State::parse),
        kind: choice(query, "kind", errors, Kind::parse),
        labels: ids(query, "label", errors),
        labels_all: choice(query, "label_logical_operator", errors, |raw| {
            match raw.to_ascii_lowercase().as_str() {
                "and" => Ok(true),
                "or" => Ok(false),
                _ => Err(not_a_choice(raw)),
            }
        })
        .unwrap_or(false),
        roles: repeated(query, "role", errors, role),
        teams: ids(query, "team", errors),
        targets: ids(query, "target", errors),
        exclude_teams: ids(query, "exclude_team", errors),
        exclude_targets: ids(query, "exclude_target", errors),
        account: choice(query, "account", errors, id),
        no_access: query.boolean("no_access", errors),
        exclude: ids(query, "exclude", errors),
        ids: ids(query, "id", errors),
        ..UserFilter::default()
    }
}

const ORDERINGS: [(&str, UserOrderField); 5] = [
    ("name", UserOrderField::Name),
    ("email", UserOrderField::Email),
    ("changed", UserOrderField::Changed),
    ("created", UserOrderField::Created),
    ("last_login", UserOrderField::LastLogin),
];

/// List users
///
/// People of the caller's organization, a page at a time.
#[utoipa::path(
    get,
    path = "/users/",
    tag = "users",
    params(UserListParams),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_users(
    credential: Credential,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<UserPage>> {
    list(credential, state, req, false).await
}

/// Lists people (`is_apiuser = false`) or API users (`true`).
pub async fn list(
    credential: Credential,
    state: web::Data<AppState>,
    req: HttpRequest,
    is_apiuser: bool,
) -> Result<web::Json<UserPage>> {
    let mut list =
        ListRequest::parse::<UserListParams>(&req, &ORDERINGS, (UserOrderField::Changed, true))?;
    let filter = read_filter(
        &list.query,
        &mut list.errors,
        is_apiuser,
        list.search.take(),
    );
    let validate_ids = list
        .query
        .boolean("is_id_404_validation", &mut list.errors)
        .unwrap_or(false);
    let (field, descending) = list.ordering;
    let query = UserQuery {
        filter,
        ordering: UserOrdering { field, descending },
        validate_ids,
    };
    let (query, page) = (Parsed::new(query, list.errors), list.page);
    let listed = state
        .db
        .read(move |conn| {
            let caller = credential.caller(conn)?;
            service::users::list(conn, &caller, query, page)
        })
        .await?;
    Ok(web::Json(listed.into()))
}
