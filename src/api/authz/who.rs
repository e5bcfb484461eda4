//! `GET /authz/who/`: who may do this there?

use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use crate::api::access_review::AccessReviewPage;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Query, REQUIRED, page_request};
use crate::auth::Caller;
use crate::domain::role::Permission;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_review::ReviewQuery;
use crate::service::authz;
use crate::state::AppState;

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters read by who_may()")]
pub struct WhoParams {
    /// The permission, e.g. `targets.manage` (required).
    #[param(value_type = Permission)]
    permission: String,
    /// Where: this team (held organization-wide or at the team).
    #[param(value_type = Option<crate::api::common::IdParam>)]
    team: Option<String>,
    /// Where: this target (held organization-wide, at one of its teams or
    /// at the target). Neither: organization-wide.
    #[param(value_type = Option<crate::api::common::IdParam>)]
    target: Option<String>,
    /// Page number, from 1.
    #[param(schema_with = crate::api::common::positive_integer)]
    page: Option<i64>,
    /// Users per page: default 10, values above 100 are capped to 100.
    #[param(schema_with = crate::api::common::positive_integer)]
    length: Option<i64>,
}

/// Who may
///
/// Every user and API user holding `permission` where asked (the
/// organization when neither `team` nor `target` is given), with the role
/// assignments that grant it: the access review narrowed to one question,
/// paged like every list. Deactivated users are listed with `active: false`
/// (they hold the roles, and can do nothing while deactivated). Needs
/// `authz.check`.
#[utoipa::path(
    get,
    path = "/authz/who/",
    tag = "tokens",
    params(WhoParams),
    responses(
        (status = 200, description = "Who may, with the assignments that allow it", body = AccessReviewPage),
        (status = 400, description = "A missing or bad parameter", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks authz.check", body = ErrorDetail),
        (status = 404, description = "Invalid page", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn who_may(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<AccessReviewPage>> {
    let query = Query::documented::<WhoParams>(&req)?;
    let mut errors = FieldErrors::new();
    let page = page_request(&query, &mut errors);
    let text = |key: &str| {
        query
            .first(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let permission = match text("permission") {
        None => {
            errors.add("permission", REQUIRED);
            None
        }
        Some(raw) => Permission::parse(&raw)
            .map_err(|message| errors.add("permission", message))
            .ok(),
    };
    let (team, target) = (text("team"), text("target"));
    if team.is_some() && target.is_some() {
        errors.add("target", "Give a team or a target, not both.");
    }
    let question = Parsed::new(
        ReviewQuery {
            permission,
            team,
            target,
            organization_wide: true,
            ..ReviewQuery::default()
        },
        errors,
    );
    let listed = state
        .db
        .read(move |conn| authz::who(conn, &caller, question, page))
        .await?;
    Ok(web::Json(AccessReviewPage::from(listed)))
}
