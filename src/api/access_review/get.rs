use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, stream};
use utoipa::IntoParams;

use super::{AccessReviewItem, AccessReviewPage, CSV_HEADER, csv_records};
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, page_request};
use crate::auth::Caller;
use crate::domain::role::Permission;
use crate::error::{Error, FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_review::{self, ReviewQuery};
use crate::state::AppState;

/// Query parameters of the access review.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters read by get_access_review()"
)]
pub struct AccessReviewParams {
    /// Page number, from 1 (JSON only; CSV holds every line).
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Users per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
    /// Only this user or API user (id).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    user: Option<String>,
    /// Only permissions granted by this role (id, or a built-in role's name).
    role: Option<String>,
    /// Only this permission, e.g. `users.manage`.
    #[param(pattern = "^([a-z_]+\\.[a-z_]+)?$")]
    permission: Option<String>,
    /// Only permissions that apply to this team (held organization-wide or
    /// at that team).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    team: Option<String>,
    /// Only permissions that apply to this target (held organization-wide,
    /// at a team it belongs to, or at the target itself).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    target: Option<String>,
}

/// Users read per database round trip while writing CSV.
const CSV_CHUNK: i64 = 500;

/// Access review
///
/// For every user and API user: each permission it holds right now, where
/// it applies (the organization, a team, a target) and the role assignment
/// it comes from, with `active`, `state`, `mfa_enabled`, `last_login`, how
/// many API keys it has and when one was last used. Built with the very code
/// that authorizes requests, so it cannot drift from what the service
/// allows. JSON is paged by user; CSV (`Accept: text/csv` or `format=csv`)
/// streams every line, one per permission. Needs `access_review.view`
/// (AUDITOR, ADMIN and OWNER hold it).
#[utoipa::path(
    get,
    path = "/access-review/",
    tag = "audit",
    params(AccessReviewParams),
    responses(
        (status = 200, description = "The review", content(
            (AccessReviewPage = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks access_review.view", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn get_access_review(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let query = Query::documented::<AccessReviewParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let text = |key: &str| {
        query
            .first(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let csv = match query.first("format").filter(|v| !v.is_empty()) {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            errors.add("format", crate::domain::user::not_a_choice(other));
            false
        }
        None => wants_csv(&req),
    };
    let permission = text("permission").and_then(|raw| match Permission::parse(&raw) {
        Ok(p) => Some(p),
        Err(message) => {
            errors.add("permission", message);
            None
        }
    });
    let review = Parsed::new(
        ReviewQuery {
            user: text("user"),
            role: text("role"),
            permission,
            team: text("team"),
            target: text("target"),
            organization_wide: false,
        },
        errors,
    );
    let reviewer = caller.clone();
    let resolved = state
        .db
        .read(move |conn| access_review::resolve(conn, &reviewer, review))
        .await?;
    if csv {
        return Ok(csv_response(state, caller, resolved));
    }
    let listed = state
        .db
        .read(move |conn| access_review::review(conn, &caller, &resolved, page))
        .await?;
    Ok(HttpResponse::Ok().json(AccessReviewPage::from(listed)))
}

pub(crate) fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept
                .split(',')
                .any(|part| part.trim().to_ascii_lowercase().starts_with("text/csv"))
        })
}

/// Streams the whole review as CSV, a chunk of users at a time, so memory
/// stays bounded whatever the organization's size.
pub(crate) fn csv_response(
    state: web::Data<AppState>,
    caller: Caller,
    resolved: access_review::Resolved,
) -> HttpResponse {
    let header_line = csv_line(&CSV_HEADER.map(str::to_owned));
    let chunks = stream::unfold(Some(0_i64), move |offset| {
        let (state, caller, resolved) = (state.clone(), caller.clone(), resolved.clone());
        async move {
            let offset = offset?;
            let read = state
                .db
                .read(move |conn| access_review::chunk(conn, &caller, &resolved, offset, CSV_CHUNK))
                .await;
            match read {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() as i64 == CSV_CHUNK).then_some(offset + CSV_CHUNK);
                    let mut body = Vec::new();
                    for row in rows {
                        for line in csv_records(&AccessReviewItem::from(row)) {
                            body.extend_from_slice(&csv_line(&line));
                        }
                    }
                    Some((Ok::<_, Error>(Bytes::from(body)), next))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    let body = stream::once(async move { Ok::<_, Error>(Bytes::from(header_line)) }).chain(chunks);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"access-review.csv\"",
        ))
        .streaming(body)
}

/// One CSV line. Cells a spreadsheet would run as a formula are prefixed
/// with `'` (CSV injection).
pub(crate) fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let safe = cells.iter().map(|c| {
        if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{c}")
        } else {
            c.clone()
        }
    });
    writer.write_record(safe).expect("writing to memory");
    writer.into_inner().expect("writing to memory")
}
