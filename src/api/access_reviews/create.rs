use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::ToSchema;

use super::AccessReviewCampaign;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, Fields, reference};
use crate::auth::Caller;
use crate::domain::access_reviews::{REVIEWERS_MAX, ReviewName, ReviewScope};
use crate::domain::time;
use crate::error::{Collect, FieldErrors, Result};
use crate::service::Parsed;
use crate::service::access_reviews::{self, NewCampaign};
use crate::state::AppState;

/// A campaign to create.
#[derive(ToSchema)]
#[schema(as = AccessReviewCampaignCreate)]
#[expect(
    dead_code,
    reason = "documents the body read by create_access_review()"
)]
pub struct CampaignCreateDoc {
    #[schema(min_length = 1, max_length = 255, example = "Q4 2026 access review")]
    name: String,
    /// `organization`, `team` (needs `team`) or `role` (needs `role`).
    scope: ReviewScope,
    /// The team reviewed (scope `team`): its id or `{"id"}`.
    #[schema(required = false, value_type = Option<String>)]
    team: Option<String>,
    /// The role reviewed (scope `role`): its id, `{"id"}`, or a built-in
    /// role's name (`"ADMIN"`).
    #[schema(required = false, value_type = Option<String>)]
    role: Option<String>,
    /// 1 to 100 active users of the organization (ids or `{"id"}`).
    #[schema(min_items = 1, max_items = 100)]
    reviewers: Vec<String>,
    /// When the review should be done; in the future.
    #[schema(value_type = String, format = DateTime)]
    due: String,
}

fn parse(fields: &Fields) -> Parsed<NewCampaign> {
    let mut e = FieldErrors::new();
    let name = fields
        .string("name", &mut e)
        .and_then(|s| ReviewName::parse(&s).collect(&mut e, "name"));
    let scope = fields
        .string("scope", &mut e)
        .and_then(|s| ReviewScope::parse(&s).collect(&mut e, "scope"));
    let id_of = |key: &str, e: &mut FieldErrors| {
        fields.value(key, e).and_then(|v| {
            reference(v).or_else(|| {
                e.add(key, "Not a valid string.");
                None
            })
        })
    };
    let team = id_of("team", &mut e);
    let role = id_of("role", &mut e);
    let reviewers = fields
        .list("reviewers", &mut e, REVIEWERS_MAX)
        .and_then(|items| {
            let ids: Vec<Option<String>> = items.iter().map(reference).collect();
            if ids.iter().any(Option::is_none) {
                e.add("reviewers", "Each reviewer is a user id or {\"id\"}.");
                None
            } else {
                Some(ids.into_iter().flatten().collect())
            }
        });
    let due = fields
        .string("due", &mut e)
        .and_then(|s| time::parse(&s).collect(&mut e, "due"));
    Parsed::new(
        NewCampaign {
            name,
            scope,
            team,
            role,
            reviewers,
            due,
        },
        e,
    )
}

/// Create access review campaign
///
/// Snapshots the role assignments in `scope` into items, one per (user,
/// role assignment), each with the permissions it grants at that moment (as
/// the access review reports them): `organization` takes every assignment
/// of the organization, `team` those held at the team and at its targets,
/// `role` every assignment of the role. Items keep what they were when the
/// campaign was created, whatever changes later. The named `reviewers`
/// (active users of the organization) decide each item `keep` or `revoke`;
/// anyone holding `roles.grant` at a team (a team ADMIN) decides the items
/// held at that team. Needs `access_review.view` and `roles.grant`
/// organization-wide (ADMIN, OWNER). Audited as `access_review.created`.
#[utoipa::path(
    post,
    path = "/access-reviews/",
    tag = "access-reviews",
    request_body(content = CampaignCreateDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the new campaign", body = AccessReviewCampaign,
            headers(("Location" = String, description = "Path of the new campaign"))),
        (status = 400, description = "Invalid fields", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks access_review.view or roles.grant organization-wide", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_access_review(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    access_reviews::authorize_create(&caller)?;
    let input = parse(&body.fields()?);
    let created = state
        .db
        .write(move |conn| access_reviews::create(conn, &caller, input))
        .await?;
    let view = AccessReviewCampaign::from(created);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/access-reviews/{}/", view.id)))
        .json(view))
}
