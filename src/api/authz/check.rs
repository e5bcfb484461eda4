//! `POST /authz/check/`: may this subject do these things there?

use actix_web::web;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::access_review::EffectivePermission;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, Fields, REQUIRED};
use crate::auth::Caller;
use crate::domain::role::Permission;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::authz::{self, Check, CheckInput, Checked, MAX_CHECKS, Subject};
use crate::state::AppState;

/// `{"subject": ..., "checks": [...]}`
#[derive(ToSchema)]
#[schema(as = PermissionCheckRequest)]
#[expect(dead_code, reason = "documents the body read by check_permissions()")]
pub struct PermissionCheckRequestDoc {
    /// A user or API user id, `{"user": id}`, or `{"token": token or API key}`
    /// (the user it stands for).
    #[schema(schema_with = subject_schema, example = json!({"user": "5tQxsRj7PZq2"}))]
    subject: Value,
    /// 1 to 100 questions.
    #[schema(min_items = 1, max_items = 100)]
    checks: Vec<CheckDoc>,
}

/// What [`subject_of`] reads: a non-empty id, `{"user": id}` or
/// `{"token": credential}`, nothing else.
fn subject_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::ObjectBuilder;
    use utoipa::openapi::schema::{OneOfBuilder, Schema, Type};
    let non_empty = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
    };
    let only = |key: &str| {
        ObjectBuilder::new()
            .property(key, non_empty())
            .required(key)
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(non_empty())
            .item(only("user"))
            .item(only("token"))
            .description(Some(
                "A user or API user id, `{\"user\": id}`, or `{\"token\": token or API key}` (the user it stands for).",
            ))
            .build(),
    )
}

/// One question: a permission at the organization (neither `team` nor
/// `target`), at a team, or at a target.
#[derive(ToSchema)]
#[schema(as = PermissionCheck)]
#[expect(dead_code, reason = "documents the body read by check_permissions()")]
pub struct CheckDoc {
    #[schema(value_type = Permission, example = "targets.manage")]
    permission: String,
    #[schema(value_type = Option<crate::api::common::IdParam>)]
    team: Option<String>,
    #[schema(value_type = Option<crate::api::common::IdParam>)]
    target: Option<String>,
}

/// The user a check was about.
#[derive(Serialize, ToSchema)]
pub struct CheckedSubject {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `user` or `api_user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A deactivated subject is allowed nothing.
    pub active: bool,
}

/// One answer, in the order of the checks.
#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    pub permission: String,
    pub team: Option<String>,
    pub target: Option<String>,
    pub allowed: bool,
    /// The role assignments that allow it (empty when not allowed), as
    /// `/access-review/` shows them.
    pub via: Vec<EffectivePermission>,
}

#[derive(Serialize, ToSchema)]
pub struct PermissionCheckAnswer {
    pub subject: CheckedSubject,
    pub results: Vec<CheckResult>,
}

impl From<Checked> for PermissionCheckAnswer {
    fn from(checked: Checked) -> Self {
        let u = checked.subject;
        Self {
            subject: CheckedSubject {
                kind: if u.is_apiuser { "api_user" } else { "user" },
                id: u.id,
                email: u.email,
                name: u.name,
                active: u.active,
            },
            results: checked
                .answers
                .into_iter()
                .map(|a| CheckResult {
                    permission: a.check.permission.as_str().to_owned(),
                    team: a.check.team,
                    target: a.check.target,
                    allowed: a.allowed,
                    via: a.via.iter().map(EffectivePermission::from).collect(),
                })
                .collect(),
        }
    }
}

const SUBJECT_SHAPE: &str = r#"Expected a user id, {"user": id} or {"token": token}."#;

fn subject_of(fields: &Fields, errors: &mut FieldErrors) -> Option<Subject> {
    if !fields.has("subject") {
        errors.add("subject", REQUIRED);
        return None;
    }
    let value = fields.value("subject", errors)?;
    let subject = match value {
        Value::String(id) if !id.is_empty() => Some(Subject::User(id.clone())),
        Value::Object(o) if o.len() == 1 => match o.iter().next() {
            Some((key, Value::String(v))) if key == "user" && !v.is_empty() => {
                Some(Subject::User(v.clone()))
            }
            Some((key, Value::String(v))) if key == "token" && !v.is_empty() => {
                Some(Subject::Token(v.clone()))
            }
            _ => None,
        },
        _ => None,
    };
    if subject.is_none() {
        errors.add("subject", SUBJECT_SHAPE);
    }
    subject
}

fn checks_of(fields: &Fields, errors: &mut FieldErrors) -> Vec<Check> {
    if !fields.has("checks") {
        errors.add("checks", REQUIRED);
        return Vec::new();
    }
    let Some(value) = fields.value("checks", errors) else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        errors.add("checks", "Expected a list of items.");
        return Vec::new();
    };
    if items.is_empty() {
        errors.add("checks", "This list may not be empty.");
        return Vec::new();
    }
    if items.len() > MAX_CHECKS {
        errors.add(
            "checks",
            format!("Ensure this field has no more than {MAX_CHECKS} elements."),
        );
        return Vec::new();
    }
    let mut checks = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    for item in items {
        let mut own = FieldErrors::new();
        let Some(object) = item.as_object() else {
            own.add("non_field_errors", "Expected a dictionary of items.");
            item_errors.push(own.into_value());
            continue;
        };
        let item = Fields(object.clone());
        let permission = match item.string("permission", &mut own) {
            Some(raw) => Permission::parse(&raw)
                .map_err(|message| own.add("permission", message))
                .ok(),
            None => {
                if !item.has("permission") {
                    own.add("permission", REQUIRED);
                }
                None
            }
        };
        let optional = |key: &str, own: &mut FieldErrors| match item.0.get(key) {
            None | Some(Value::Null) => None,
            Some(_) => item.string(key, own).filter(|s| !s.is_empty()),
        };
        let team = optional("team", &mut own);
        let target = optional("target", &mut own);
        if team.is_some() && target.is_some() {
            own.add("non_field_errors", "Give a team or a target, not both.");
        }
        if let Some(permission) = permission.filter(|_| own.is_empty()) {
            checks.push(Check {
                permission,
                team,
                target,
            });
        }
        item_errors.push(own.into_value());
    }
    if item_errors
        .iter()
        .any(|e| e.as_object().is_some_and(|o| !o.is_empty()))
    {
        errors.set("checks", Value::Array(item_errors));
    }
    checks
}

/// Check permissions
///
/// Whether a subject (a user or API user, by id or by a token or API key it
/// presented) holds each permission where asked: at the organization, a team
/// or a target, with the role assignments that allow it. Answered by the
/// code that authorizes Tessera's own requests (a target is covered by a
/// role at the target, at one of its teams, or organization-wide). Needs
/// `authz.check` (ADMIN and AUDITOR hold it; grant it to the API user of the
/// service that asks). A subject of another organization is a 404.
#[utoipa::path(
    post,
    path = "/authz/check/",
    tag = "tokens",
    request_body(content = PermissionCheckRequestDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "One answer per check, in order", body = PermissionCheckAnswer),
        (status = 400, description = "A bad subject or check (per item), an unknown team or target, an invalid token", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks authz.check", body = ErrorDetail),
        (status = 404, description = "No such subject in the organization", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn check_permissions(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<web::Json<PermissionCheckAnswer>> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let subject = subject_of(&fields, &mut errors);
    let checks = checks_of(&fields, &mut errors);
    let input = Parsed::new(
        CheckInput {
            subject: subject.unwrap_or(Subject::User(String::new())),
            checks,
        },
        errors,
    );
    let checked = authz::check(&state, caller, input).await?;
    Ok(web::Json(checked.into()))
}
