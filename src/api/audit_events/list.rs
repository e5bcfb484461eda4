use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use super::AuditEventPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, ordering, page_request};
use crate::auth::Caller;
use crate::db::audit::AuditFilter;
use crate::domain::time;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::audit;
use crate::state::AppState;

/// Query parameters of the audit trail.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by list_audit_events()"
)]
pub struct AuditEventListParams {
    /// Page number, from 1. A page past the end is a 404 `Invalid page.`
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Results per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// `occurred` (oldest first) or `-occurred` (newest first, the default).
    #[param(pattern = "^\\s*-?occurred\\s*$")]
    ordering: Option<String>,
    /// Only events by this actor (a user's or API user's id).
    actor: Option<String>,
    /// Only events about this kind of object: `user`, `api_user`, `label`,
    /// `team`, `target`, `role`, `key`, `invitation`, `organization`, `token`.
    object_type: Option<String>,
    /// Only events about this object (its id).
    object_id: Option<String>,
    /// Only events of this action, e.g. `user.updated`.
    action: Option<String>,
    /// Only events at or after this time (ISO 8601).
    #[param(schema_with = crate::api::common::optional_date_time)]
    since: Option<String>,
    /// Only events before this time (ISO 8601).
    #[param(schema_with = crate::api::common::optional_date_time)]
    until: Option<String>,
}

const ORDERINGS: [(&str, ()); 1] = [("occurred", ())];
/// Longest value accepted for the free-text filters.
const FILTER_MAX: usize = 200;

/// List audit events
///
/// Every write through any interface (REST, MCP, SCIM, CLI, scheduler) and
/// every authentication event of the organization, newest first. The trail is
/// append-only: no API changes or deletes events; events older than
/// `TESSERA_AUDIT_RETENTION_DAYS` are pruned. Needs `audit.view`.
#[utoipa::path(
    get,
    path = "/audit-events/",
    tag = "audit",
    params(AuditEventListParams),
    responses(
        (status = 200, description = "A page of events", body = AuditEventPage),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks audit.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_audit_events(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<AuditEventPage>> {
    let query = Query::documented::<AuditEventListParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    // Newest first unless `ordering=occurred`.
    let newest_first = ordering(&query, &ORDERINGS, &mut errors).is_none_or(|((), desc)| desc);
    let mut text = |key: &str| {
        query.first(key).filter(|v| !v.is_empty()).and_then(|v| {
            if v.len() > FILTER_MAX {
                errors.add(
                    key,
                    format!("Ensure this value has at most {FILTER_MAX} characters."),
                );
                None
            } else {
                Some(v.to_owned())
            }
        })
    };
    let mut filter = AuditFilter {
        actor: text("actor"),
        object_type: text("object_type"),
        object_id: text("object_id"),
        action: text("action"),
        ..AuditFilter::default()
    };
    for (key, slot) in [("since", &mut filter.since), ("until", &mut filter.until)] {
        if let Some(raw) = query.first(key).filter(|v| !v.is_empty()) {
            match time::parse(raw) {
                Ok(t) => *slot = Some(t),
                Err(message) => errors.add(key, message),
            }
        }
    }
    let filter = Parsed::new(filter, errors);
    let listed = state
        .db
        .read(move |conn| audit::list(conn, &caller, filter, !newest_first, page))
        .await?;
    Ok(web::Json(listed.into()))
}
