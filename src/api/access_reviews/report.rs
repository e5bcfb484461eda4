use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{AccessReviewCampaign, AccessReviewItem};
use crate::api::access_review::get::{csv_line, wants_csv};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::Query;
use crate::auth::Caller;
use crate::domain::time;
use crate::error::{FieldErrors, Result};
use crate::service::access_reviews;
use crate::state::AppState;

/// Query parameters of the report.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by get_access_review_report()"
)]
pub struct ReportParams {
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// A campaign's report: the campaign and every item with its decision.
#[derive(Serialize, ToSchema)]
pub struct AccessReviewReport {
    pub campaign: AccessReviewCampaign,
    pub items: Vec<AccessReviewItem>,
}

/// The CSV header; one line per item.
pub const CSV_HEADER: [&str; 25] = [
    "campaign_id",
    "campaign_name",
    "campaign_status",
    "item_id",
    "user_id",
    "user_email",
    "user_name",
    "user_type",
    "assignment_id",
    "role_id",
    "role_name",
    "tier",
    "team_id",
    "team_name",
    "target_id",
    "target_name",
    "permissions",
    "decision",
    "comment",
    "decided",
    "decided_by_id",
    "decided_by_email",
    "decided_by_name",
    "outcome",
    "closed",
];

fn as_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Access review campaign report
///
/// The campaign and every item: who was reviewed, which assignment and
/// permissions, the decision, the comment, the reviewer and the time, and
/// what a `revoke` did. JSON by default; CSV (`Accept: text/csv` or
/// `format=csv`, one line per item, `permissions` space-separated) for
/// spreadsheets, cells a spreadsheet would run as formulas prefixed with `'`.
/// Needs `access_review.view` organization-wide (AUDITOR, ADMIN, OWNER).
#[utoipa::path(
    get,
    path = "/access-reviews/{id}/report/",
    tag = "access-reviews",
    params(
        ("id" = String, Path, description = "A unique Base58 value identifying this campaign."),
        ReportParams,
    ),
    responses(
        (status = 200, description = "The report", content(
            (AccessReviewReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks access_review.view organization-wide", body = ErrorDetail),
        (status = 404, description = "No such campaign visible to the caller", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_access_review_report(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let query = Query::documented::<ReportParams>(&req)?;
    let mut errors = FieldErrors::new();
    let csv = match query.first("format").filter(|v| !v.is_empty()) {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            errors.add("format", crate::domain::user::not_a_choice(other));
            false
        }
        None => wants_csv(&req),
    };
    let report = state
        .db
        .read(move |conn| access_reviews::report(conn, &caller, &id))
        .await?;
    errors.into_result()?;
    let report = AccessReviewReport {
        campaign: report.detail.into(),
        items: report.items.into_iter().map(Into::into).collect(),
    };
    if !csv {
        return Ok(HttpResponse::Ok().json(report));
    }
    let c = &report.campaign;
    let opt_time =
        |t: Option<chrono::NaiveDateTime>| t.map(|t| time::format(&t)).unwrap_or_default();
    let mut body = csv_line(&CSV_HEADER.map(str::to_owned));
    for i in &report.items {
        let by = i.decided_by.as_ref();
        let line = [
            c.id.clone(),
            c.name.clone(),
            as_text(&c.status),
            i.id.clone(),
            i.user.id.clone(),
            i.user.email.clone(),
            i.user.name.clone(),
            i.user.kind.to_owned(),
            i.assignment_id.clone(),
            i.role.id.clone(),
            i.role.name.clone(),
            as_text(&i.scope.tier),
            i.team.as_ref().map(|t| t.id.clone()).unwrap_or_default(),
            i.team.as_ref().map(|t| t.name.clone()).unwrap_or_default(),
            i.target.as_ref().map(|t| t.id.clone()).unwrap_or_default(),
            i.target
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            i.permissions.join(" "),
            as_text(&i.decision),
            i.comment.clone(),
            opt_time(i.decided),
            by.map(|b| b.id.clone()).unwrap_or_default(),
            by.map(|b| b.email.clone()).unwrap_or_default(),
            by.map(|b| b.name.clone()).unwrap_or_default(),
            i.outcome.as_ref().map(as_text).unwrap_or_default(),
            opt_time(c.closed),
        ];
        body.extend_from_slice(&csv_line(&line));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"access-review-{}.csv\"", c.id),
        ))
        .body(body))
}
