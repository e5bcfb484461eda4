//! `/scim/v2/Users`: users as SCIM resources. Reads use the same queries as
//! REST; every write goes through `service::users` with the caller's
//! interface set to `scim`.
//!
//! Mapping: `userName` = email; `displayName`, `name.formatted` or
//! `givenName familyName` = name; `title` = position (free text); `active`;
//! `emails` (the primary is the email, the others additional addresses);
//! `externalId`.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{Value, json};

use super::filter::{self, get_ci};
use super::resource::MAX_RESULTS;
use super::{
    LIST_SCHEMA, ScimError, ScimResult, USER_SCHEMA, base_url, json_body, patch, provisioner,
    respond,
};
use crate::auth::Caller;
use crate::db::models::UserDetail;
use crate::db::users::{self as rows, UserFilter, UserOrderField, UserOrdering};
use crate::domain::role::Permission;
use crate::domain::user::{ADDITIONAL_EMAILS_MAX, Email, Source, UserName, parse_position};
use crate::error::{Error, FieldErrors};
use crate::service::users::{self as service, Parsed, UserInput};
use crate::state::AppState;

/// The longest `externalId` kept.
const EXTERNAL_ID_MAX: usize = 255;

/// Rows loaded per query while a list filters in memory.
const LOAD_PAGE: i64 = 500;

fn time(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A user as its SCIM representation.
pub fn to_scim(detail: &UserDetail, base: &str) -> Value {
    let user = &detail.user;
    let mut emails = vec![json!({"value": user.email, "type": "work", "primary": true})];
    let additional: Vec<String> =
        serde_json::from_str(&user.additional_email_addresses).unwrap_or_default();
    emails.extend(
        additional
            .into_iter()
            .map(|e| json!({"value": e, "type": "other", "primary": false})),
    );
    let mut name = json!({"formatted": user.name});
    if let Some((given, family)) = user.name.trim().split_once(' ') {
        name["givenName"] = given.into();
        name["familyName"] = family.trim().into();
    } else {
        name["givenName"] = user.name.clone().into();
    }
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id,
        "userName": user.email,
        "name": name,
        "displayName": user.name,
        "active": user.active,
        "emails": emails,
        "meta": {
            "resourceType": "User",
            "created": time(&user.created),
            "lastModified": time(&user.changed),
            "location": format!("{base}/Users/{}", user.id),
            "version": format!("W/\"{}\"", user.changed.and_utc().timestamp_micros()),
        },
    });
    if let Some(external_id) = &user.external_id {
        resource["externalId"] = external_id.clone().into();
    }
    if let Some(position) = user.position.as_deref().filter(|p| !p.is_empty()) {
        resource["title"] = position.into();
    }
    resource
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    get_ci(value, name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The name a resource gives, by each of the three ways it can say it.
fn names(resource: &Value) -> [Option<String>; 3] {
    let name = get_ci(resource, "name").cloned().unwrap_or(Value::Null);
    let joined = [text(&name, "givenName"), text(&name, "familyName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [
        text(resource, "displayName").map(str::to_owned),
        text(&name, "formatted").map(str::to_owned),
        Some(joined).filter(|j| !j.is_empty()),
    ]
}

/// `true`, `false`, or Entra's `"True"`/`"False"` strings.
fn boolean(value: &Value) -> ScimResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!(
            "\"active\" must be a boolean, not {other}."
        ))),
    }
}

/// The service input a whole resource asks for. `before` is the resource
/// as it was (PUT and PATCH): of the ways to give a name, the one that
/// changed wins.
pub fn to_input(resource: &Value, before: Option<&Value>) -> ScimResult<Parsed<UserInput>> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax("A user is a JSON object."));
    }
    let user_name = text(resource, "userName")
        .ok_or_else(|| ScimError::invalid_value("\"userName\" is required."))?;
    let email =
        Email::parse(user_name).map_err(|e| ScimError::invalid_value(format!("userName: {e}")))?;

    let now = names(resource);
    let name = match before.map(names) {
        Some(old) => now
            .iter()
            .zip(old.iter())
            .find(|(new, old)| new.is_some() && new != old)
            .and_then(|(new, _)| new.clone())
            .or_else(|| now.iter().flatten().next().cloned()),
        None => now.iter().flatten().next().cloned(),
    }
    .unwrap_or_else(|| email.as_str().to_owned());
    let name =
        UserName::parse(&name).map_err(|e| ScimError::invalid_value(format!("name: {e}")))?;

    let position = match get_ci(resource, "title") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(parse_position(s).map_err(|e| ScimError::invalid_value(format!("title: {e}")))?)
        }
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "\"title\" must be a string, not {other}."
            )));
        }
    }
    .filter(|p| !p.is_empty());

    let active = match get_ci(resource, "active") {
        None | Some(Value::Null) => None,
        Some(value) => Some(boolean(value)?),
    };

    let mut additional: Vec<Email> = Vec::new();
    if let Some(emails) = get_ci(resource, "emails").filter(|v| !v.is_null()) {
        let emails = emails
            .as_array()
            .ok_or_else(|| ScimError::invalid_value("\"emails\" must be a list."))?;
        for item in emails {
            let Some(value) = text(item, "value") else {
                continue;
            };
            let parsed = Email::parse(value)
                .map_err(|e| ScimError::invalid_value(format!("emails: {e}")))?;
            let seen = parsed.as_str().eq_ignore_ascii_case(email.as_str())
                || additional
                    .iter()
                    .any(|a| a.as_str().eq_ignore_ascii_case(parsed.as_str()));
            if !seen {
                additional.push(parsed);
            }
        }
    }
    if additional.len() > ADDITIONAL_EMAILS_MAX {
        return Err(ScimError::invalid_value(format!(
            "At most {} e-mail addresses.",
            ADDITIONAL_EMAILS_MAX + 1
        )));
    }

    let external_id = text(resource, "externalId").map(str::to_owned);
    if external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > EXTERNAL_ID_MAX)
    {
        return Err(ScimError::invalid_value(format!(
            "\"externalId\" has at most {EXTERNAL_ID_MAX} characters."
        )));
    }

    let creating = before.is_none();
    Ok(Parsed {
        value: UserInput {
            email: Some(email),
            name: Some(name),
            active: if creating {
                Some(active.unwrap_or(true))
            } else {
                active
            },
            position: Some(position),
            additional_email_addresses: Some(additional),
            source: creating.then_some(Source::Scim),
            external_id: Some(external_id),
            profile_sent: true,
            ..UserInput::default()
        },
        errors: FieldErrors::new(),
    })
}

/// A user's response, its `ETag` header the resource's `meta.version`.
fn respond_user(status: StatusCode, resource: &Value) -> HttpResponse {
    let mut response = respond(status, resource);
    if let Some(version) = resource["meta"]["version"].as_str()
        && let Ok(value) = header::HeaderValue::from_str(version)
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The `If-Match` a request sent, if any.
fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 412 unless `if_match` (when sent) names the resource's current version
/// or is `*`. Weak and strong forms of a tag are compared alike.
fn check_version(if_match: Option<&str>, resource: &Value) -> ScimResult<()> {
    let Some(if_match) = if_match else {
        return Ok(());
    };
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = bare(resource["meta"]["version"].as_str().unwrap_or_default());
    if if_match
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == current)
    {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        "The resource changed since that version (If-Match).",
    ))
}

fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number(query: &HashMap<String, String>, name: &str, default: i64) -> ScimResult<i64> {
    match param(query, name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ScimError::invalid_value(format!("\"{name}\" must be an integer."))),
    }
}

/// `GET /Users`: filtered in memory after loading the organization's users
/// page by page (see `filter`), then paged by `startIndex` (1-based) and
/// `count`.
pub async fn list(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    caller.require(Permission::UsersView)?;
    let filter = match param(&query, "filter") {
        Some(raw) => Some(filter::parse(raw).map_err(|e| ScimError::invalid_filter(e.0))?),
        None => None,
    };
    let start = number(&query, "startIndex", 1)?.max(1);
    let count = number(&query, "count", MAX_RESULTS as i64)?.clamp(0, MAX_RESULTS as i64);
    let base = base_url(&req);
    let org = caller.organization_id().to_owned();
    let matching = state
        .db
        .read(move |conn| {
            let ordering = UserOrdering {
                field: UserOrderField::Created,
                descending: false,
            };
            let mut matching = Vec::new();
            let mut offset = 0;
            loop {
                let page = rows::page(
                    conn,
                    &org,
                    &UserFilter::default(),
                    ordering,
                    offset,
                    LOAD_PAGE,
                )?;
                let loaded = page.len() as i64;
                for detail in rows::with_details(conn, page)? {
                    let resource = to_scim(&detail, &base);
                    if filter.as_ref().is_none_or(|f| f.matches(&resource)) {
                        matching.push(resource);
                    }
                }
                if loaded < LOAD_PAGE {
                    break;
                }
                offset += LOAD_PAGE;
            }
            Ok(matching)
        })
        .await?;
    let total = matching.len();
    let resources: Vec<Value> = matching
        .into_iter()
        .skip((start - 1) as usize)
        .take(count as usize)
        .collect();
    Ok(respond(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": resources.len(),
            "startIndex": start,
            "Resources": resources,
        }),
    ))
}

pub async fn get(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let id = id.into_inner();
    let detail = state
        .db
        .lookup(move |conn| service::get(conn, &caller, &id, false))
        .await?;
    Ok(respond_user(
        StatusCode::OK,
        &to_scim(&detail, &base_url(&req)),
    ))
}

pub async fn create(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let input = to_input(&json_body(&req, &body)?, None)?;
    let detail = state
        .db
        .write(move |conn| service::create(conn, &caller, false, input))
        .await?;
    let resource = to_scim(&detail, &base_url(&req));
    let mut response = respond_user(StatusCode::CREATED, &resource);
    if let Ok(location) =
        header::HeaderValue::from_str(resource["meta"]["location"].as_str().unwrap_or_default())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Replaces (PUT) or patches the user: the new resource is computed from
/// the current one inside the write's transaction, then written by
/// `service::users::update`.
async fn write(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: String,
    change: impl FnOnce(&Value) -> ScimResult<Value> + Send + 'static,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let base = base_url(&req);
    let if_match = if_match(&req);
    let outcome = {
        let base = base.clone();
        state
            .db
            .write(move |conn| {
                let current = service::get(conn, &caller, &id, false)?;
                let before = to_scim(&current, &base);
                if let Err(e) = check_version(if_match.as_deref(), &before) {
                    return Ok(Err(e));
                }
                let input = match change(&before).and_then(|after| to_input(&after, Some(&before)))
                {
                    Ok(input) => input,
                    Err(e) => return Ok(Err(e)),
                };
                service::update(conn, &caller, &id, false, input).map(Ok)
            })
            .await?
    };
    Ok(respond_user(StatusCode::OK, &to_scim(&outcome?, &base)))
}

pub async fn replace(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let body = json_body(&req, &body)?;
    write(caller, state, req, id.into_inner(), move |_| Ok(body)).await
}

pub async fn patch(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let body = json_body(&req, &body)?;
    write(caller, state, req, id.into_inner(), move |before| {
        let mut after = before.clone();
        patch::apply(&mut after, &body)?;
        Ok(after)
    })
    .await
}

pub async fn delete(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let id = id.into_inner();
    let if_match = if_match(&req);
    let base = base_url(&req);
    state
        .db
        .write(move |conn| {
            if if_match.is_some() {
                let current = to_scim(&service::get(conn, &caller, &id, false)?, &base);
                if let Err(e) = check_version(if_match.as_deref(), &current) {
                    return Ok(Err(e));
                }
            }
            service::delete(conn, &caller, &id, false).map(Ok)
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}
