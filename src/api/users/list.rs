use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::{UserPage, UserView};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::ListRequest;
use crate::auth::Caller;
use crate::db::users::{self, UserFilter, UserOrderField, UserOrdering};
use crate::domain::role::Permission;
use crate::error::Result;
use crate::state::AppState;

/// Query parameters of user lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by list()")]
pub struct UserListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    length: Option<i64>,
    /// Case-insensitive substring of name or email.
    search: Option<String>,
    /// name, email, changed, created or last_login; prefix `-` for descending. Default `-changed`; ties are broken by id.
    ordering: Option<String>,
    /// Only active (true) or deactivated (false) users. Accepts true/false/True/False/1/0.
    active: Option<bool>,
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
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<UserPage>> {
    list(caller, state, req, false).await
}

/// Lists people (`is_apiuser = false`) or API users (`true`).
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    is_apiuser: bool,
) -> Result<web::Json<UserPage>> {
    caller.require(Permission::UsersView)?;
    let mut list = ListRequest::parse(&req, &ORDERINGS, (UserOrderField::Changed, true))?;
    let filter = UserFilter {
        is_apiuser,
        search: list.search,
        active: list.query.boolean("active", &mut list.errors),
    };
    list.errors.into_result()?;
    let (pagination, (field, descending)) = (list.pagination, list.ordering);
    let org = caller.organization_id().to_owned();
    let page = state
        .db
        .read(move |conn| {
            let count = users::count(conn, &org, &filter)?;
            let page_total = pagination.check(count)?;
            let rows = users::page(
                conn,
                &org,
                &filter,
                UserOrdering { field, descending },
                pagination.offset(),
                pagination.length,
            )?;
            let results = users::with_details(conn, rows)?
                .into_iter()
                .map(UserView::from)
                .collect();
            Ok(UserPage {
                count,
                page_total,
                page: pagination.page,
                length: pagination.length,
                results,
            })
        })
        .await?;
    Ok(web::Json(page))
}
