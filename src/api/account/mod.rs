//! `/account/`: the caller's organization (Probely's "account").

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Body;
use crate::auth::Caller;
use crate::db::models::OrganizationRow;
use crate::domain::dormancy::{self, DormantAction};
use crate::domain::time;
use crate::error::{Collect, FieldErrors, Result};
use crate::service::orgs::AccountPatch;
use crate::service::{self, Parsed};
use crate::state::AppState;
use actix_web::web;

/// The caller's organization.
#[derive(Serialize, ToSchema)]
pub struct Account {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[schema(max_length = 255)]
    pub name: String,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub changed: NaiveDateTime,
    /// Days without a sign-in or an API-key use after which an account is
    /// dormant (flagged in `/access-review/`); null: never.
    #[schema(minimum = 1, maximum = 3650)]
    pub dormant_after_days: Option<i32>,
    /// What happens to a dormant account: `flag` (shown in the access
    /// review) or `deactivate` (the scheduler deactivates it as the
    /// `System` actor, never the last active owner; audited as
    /// `user.deactivated`). An account never used counts from its creation.
    pub dormant_action: DormantAction,
}

impl From<OrganizationRow> for Account {
    fn from(row: OrganizationRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            created: row.created,
            changed: row.changed,
            dormant_after_days: row.dormant_after_days,
            dormant_action: row.dormant_action,
        }
    }
}

/// Writable fields of the account.
#[derive(ToSchema)]
#[schema(as = AccountWrite)]
pub struct AccountWriteDoc {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: Option<String>,
    /// Null: no account is ever dormant.
    #[schema(minimum = 1, maximum = 3650)]
    pub dormant_after_days: Option<i32>,
    #[schema(nullable = false)]
    pub dormant_action: Option<DormantAction>,
}

/// Retrieve account
///
/// The caller's organization; every member may read it.
#[utoipa::path(
    get,
    path = "/account/",
    tag = "account",
    responses(
        (status = 200, description = "The organization", body = Account),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: every member may read it", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_account(caller: Caller, state: web::Data<AppState>) -> Result<web::Json<Account>> {
    let row = state
        .db
        .read(move |conn| service::orgs::get(conn, &caller))
        .await?;
    Ok(web::Json(row.into()))
}

/// Update account
///
/// Renames the organization, or sets how it treats dormant accounts.
/// Needs `account.manage`.
#[utoipa::path(
    patch,
    path = "/account/",
    tag = "account",
    request_body(content = AccountWriteDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The organization", body = Account),
        (status = 400, description = "Invalid name, dormant_after_days or dormant_action", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks account.manage", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn update_account(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<Account>> {
    service::orgs::authorize_update(&caller)?;
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let name = fields
        .string("name", &mut errors)
        .and_then(|n| service::orgs::parse_name(&n).collect(&mut errors, "name"));
    let dormant_after_days = fields
        .nullable_integer("dormant_after_days", &mut errors)
        .and_then(|days| match days {
            None => Some(None),
            Some(days) => dormancy::parse_after_days(days)
                .collect(&mut errors, "dormant_after_days")
                .map(Some),
        });
    let dormant_action = fields
        .string("dormant_action", &mut errors)
        .and_then(|a| DormantAction::parse(&a).collect(&mut errors, "dormant_action"));
    let input = Parsed {
        value: AccountPatch {
            name,
            dormant_after_days,
            dormant_action,
        },
        errors,
    };
    let row = state
        .db
        .write(move |conn| service::orgs::update(conn, &caller, input))
        .await?;
    Ok(web::Json(row.into()))
}
