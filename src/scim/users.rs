//! `/scim/v2/Users`: users as SCIM resources. Reads use the same queries as
//! REST; every write goes through `service::users` with the caller's
//! interface set to `scim`.
//!
//! Mapping: `userName` is kept as the IdP sent it (unique in the
//! organization, case-insensitively; a user no IdP wrote shows its e-mail);
//! the login e-mail is taken from `emails` (the primary, else the `work`
//! one, else the first; without `emails`, a `userName` that is an e-mail
//! address), the other addresses are additional ones; `displayName`,
//! `name.formatted` or `givenName familyName` = name; `title` = position
//! (free text); `active`; `externalId`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::filter::{CompareOp, Filter, Literal, get_ci, is_time};
use super::query::{ListQuery, Listed, Plan, Window, page_of};
use super::{
    Collection, ENTERPRISE_USER_SCHEMA, ScimError, ScimResult, USER_SCHEMA, base_url,
    check_version, if_match, requested_projection, respond_resource,
};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::models::{UserDetail, UserRow};
use crate::db::users::UserFilter;
use crate::domain::user::{
    ADDITIONAL_EMAILS_MAX, Email, Kind, Source, Title, UserName, parse_position,
};
use crate::error::Result;
use crate::service::users::{self as service, NewUser, Parsed, UserField, UserPatch};
use crate::state::AppState;

/// The longest `externalId` kept.
const EXTERNAL_ID_MAX: usize = 255;

/// The longest `userName` kept.
const USER_NAME_MAX: usize = 255;

/// The longest e-mail `type` kept.
const TYPE_MAX: usize = 64;

pub fn time(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// What SCIM keeps of a user beside Tessera's columns (`users.scim_profile`):
/// the parts of `name` and the `emails` entries as the IdP last wrote them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct Profile {
    /// Tessera's name when this was written: once the name is changed
    /// elsewhere (REST, MCP), the IdP's `name` parts no longer describe it.
    #[serde(default)]
    written_name: String,
    #[serde(default)]
    name: Option<Map<String, Value>>,
    /// `None` until an IdP writes the user.
    #[serde(default)]
    emails: Option<Vec<ProfileEmail>>,
    /// The enterprise extension's attributes, kept as sent: no Tessera
    /// field corresponds to them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enterprise: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct ProfileEmail {
    value: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default)]
    primary: bool,
}

/// The enterprise extension's string attributes (RFC 7643 §4.3); `manager`
/// is kept too, by `value` and `$ref`.
const ENTERPRISE_STRINGS: [&str; 5] = [
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

/// The longest enterprise attribute kept.
const ENTERPRISE_MAX: usize = 255;

/// `userType` ↔ Probo's `kind`.
pub const USER_TYPES: [(&str, Kind); 3] = [
    ("Employee", Kind::Employee),
    ("Contractor", Kind::Contractor),
    ("ServiceAccount", Kind::ServiceAccount),
];

fn user_type(kind: Kind) -> &'static str {
    USER_TYPES
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(name, _)| *name)
        .expect("every kind has a userType")
}

/// The value of Probely's title enum a free-text title names, if any.
fn matching_title(position: Option<&str>) -> Option<Title> {
    let position = position?.trim();
    Title::ALL
        .into_iter()
        .find(|t| *t != Title::None && t.as_str().eq_ignore_ascii_case(position))
}

/// `Employee`, `contractor`, `Service Account`, `service_account`...
fn parse_user_type(raw: &str) -> ScimResult<Kind> {
    let bare: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    USER_TYPES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&bare))
        .map(|(_, kind)| *kind)
        .ok_or_else(|| {
            ScimError::invalid_value(format!(
                "\"userType\" is one of Employee, Contractor, ServiceAccount, not \"{raw}\"."
            ))
        })
}

/// The enterprise extension of a resource, kept as far as it is known.
fn enterprise_of(resource: &Value) -> ScimResult<Option<Map<String, Value>>> {
    let extension = match get_ci(resource, ENTERPRISE_USER_SCHEMA) {
        None | Some(Value::Null) => return Ok(None),
        Some(extension @ Value::Object(_)) => extension,
        Some(_) => {
            return Err(ScimError::invalid_value(
                "The enterprise extension is a complex attribute.",
            ));
        }
    };
    let bounded = |name: &str, value: &Value| -> ScimResult<Option<Value>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.chars().count() <= ENTERPRISE_MAX => Ok(Some(s.clone().into())),
            _ => Err(ScimError::invalid_value(format!(
                "\"{name}\" is a string of at most {ENTERPRISE_MAX} characters."
            ))),
        }
    };
    let mut kept = Map::new();
    for name in ENTERPRISE_STRINGS {
        if let Some(value) = get_ci(extension, name)
            && let Some(value) = bounded(name, value)?
        {
            kept.insert(name.to_owned(), value);
        }
    }
    if let Some(manager) = get_ci(extension, "manager").filter(|v| !v.is_null()) {
        let mut parts = Map::new();
        for name in ["value", "$ref"] {
            if let Some(value) = get_ci(manager, name)
                && let Some(value) = bounded(&format!("manager.{name}"), value)?
            {
                parts.insert(name.to_owned(), value);
            }
        }
        if !parts.is_empty() {
            kept.insert("manager".into(), parts.into());
        }
    }
    Ok(Some(kept).filter(|k| !k.is_empty()))
}

/// The sub-attributes of `name` Tessera keeps.
const NAME_PARTS: [&str; 3] = ["formatted", "givenName", "familyName"];

fn derived_name(name: &str) -> Value {
    let mut parts = json!({"formatted": name});
    match name.trim().split_once(' ') {
        Some((given, family)) => {
            parts["givenName"] = given.into();
            parts["familyName"] = family.trim().into();
        }
        None => parts["givenName"] = name.into(),
    }
    parts
}

/// The `emails` of a user: the entries the IdP wrote that are still the
/// user's addresses (with their types and `primary`), then addresses added
/// elsewhere; a user no IdP wrote lists its e-mail as the primary work one.
fn emails_of(user: &UserRow, stored: Option<&[ProfileEmail]>) -> Vec<Value> {
    let additional = user.additional_emails();
    let Some(stored) = stored else {
        return std::iter::once(&user.email)
            .chain(&additional)
            .enumerate()
            .map(|(i, e)| {
                let kind = if i == 0 { "work" } else { "other" };
                json!({"value": e, "type": kind, "primary": i == 0})
            })
            .collect();
    };
    let mut emails: Vec<Value> = Vec::new();
    let mut listed: Vec<&str> = Vec::new();
    for entry in stored {
        let Some(address) = std::iter::once(&user.email)
            .chain(&additional)
            .find(|a| a.eq_ignore_ascii_case(&entry.value))
        else {
            continue;
        };
        if listed.iter().any(|l| l.eq_ignore_ascii_case(address)) {
            continue;
        }
        listed.push(address);
        let mut item = json!({"value": address, "primary": entry.primary});
        if let Some(kind) = &entry.kind {
            item["type"] = kind.clone().into();
        }
        emails.push(item);
    }
    for address in &additional {
        if !listed.iter().any(|l| l.eq_ignore_ascii_case(address)) {
            emails.push(json!({"value": address, "type": "other", "primary": false}));
        }
    }
    emails
}

/// The teams a user is a member of, as SCIM `groups` (read-only).
fn groups_of(detail: &UserDetail, base: &str) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    detail
        .roles
        .iter()
        .filter_map(|r| Some((r.team_id.as_deref()?, r.team_name.as_deref()?)))
        .filter(|(id, _)| {
            let new = !seen.contains(id);
            seen.push(id);
            new
        })
        .map(|(id, name)| {
            json!({"value": id, "display": name, "$ref": format!("{base}/Groups/{id}"), "type": "direct"})
        })
        .collect()
}

/// A user as its SCIM representation.
pub fn to_scim(detail: &UserDetail, base: &str) -> Value {
    let user = &detail.user;
    let profile: Option<Profile> = user
        .scim_profile
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let name = match &profile {
        Some(p) if p.written_name == user.name => p.name.clone().map(Value::Object),
        _ => Some(derived_name(&user.name)),
    };
    let emails = emails_of(user, profile.as_ref().and_then(|p| p.emails.as_deref()));
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id,
        "userName": user.scim_user_name.as_deref().unwrap_or(&user.email),
        "displayName": user.name,
        "active": user.active,
        "meta": {
            "resourceType": "User",
            "created": time(&user.created),
            "lastModified": time(&user.changed),
            "location": format!("{base}/Users/{}", user.id),
            "version": format!("W/\"{}\"", user.changed.and_utc().timestamp_micros()),
        },
    });
    if let Some(name) = name {
        resource["name"] = name;
    }
    if !emails.is_empty() {
        resource["emails"] = emails.into();
    }
    let groups = groups_of(detail, base);
    if !groups.is_empty() {
        resource["groups"] = groups.into();
    }
    if let Some(external_id) = &user.external_id {
        resource["externalId"] = external_id.clone().into();
    }
    if let Some(position) = user.position.as_deref().filter(|p| !p.is_empty()) {
        resource["title"] = position.into();
    }
    if let Some(kind) = user.kind {
        resource["userType"] = user_type(kind).into();
    }
    if let Some(enterprise) = profile.and_then(|p| p.enterprise) {
        resource["schemas"] = json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        resource[ENTERPRISE_USER_SCHEMA] = enterprise.into();
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
fn boolean(name: &str, value: &Value) -> ScimResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!(
            "\"{name}\" must be a boolean, not {other}."
        ))),
    }
}

/// The parts of `name` a resource gives, kept as sent.
fn name_parts(resource: &Value) -> ScimResult<Option<Map<String, Value>>> {
    let name = match get_ci(resource, "name") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(name)) => name,
        Some(_) => return Err(ScimError::invalid_value("\"name\" is a complex attribute.")),
    };
    let mut parts = Map::new();
    for part in NAME_PARTS {
        match name.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)) {
            None | Some((_, Value::Null)) => {}
            Some((_, Value::String(value))) => {
                let value = UserName::parse(value)
                    .map_err(|e| ScimError::invalid_value(format!("name.{part}: {e}")))?;
                parts.insert(part.to_owned(), value.as_str().into());
            }
            Some(_) => {
                return Err(ScimError::invalid_value(format!(
                    "\"name.{part}\" must be a string."
                )));
            }
        }
    }
    Ok(Some(parts).filter(|p| !p.is_empty()))
}

/// The `emails` of a resource, each parsed, without repeats, with one
/// primary at most (the last one sent wins: a PATCH `add` appends).
fn email_entries(resource: &Value) -> ScimResult<Vec<ProfileEmail>> {
    let mut entries: Vec<ProfileEmail> = Vec::new();
    let Some(emails) = get_ci(resource, "emails").filter(|v| !v.is_null()) else {
        return Ok(entries);
    };
    let emails = emails
        .as_array()
        .ok_or_else(|| ScimError::invalid_value("\"emails\" must be a list."))?;
    for item in emails {
        let Some(value) = text(item, "value") else {
            continue;
        };
        let parsed =
            Email::parse(value).map_err(|e| ScimError::invalid_value(format!("emails: {e}")))?;
        if entries
            .iter()
            .any(|e| e.value.eq_ignore_ascii_case(parsed.as_str()))
        {
            continue;
        }
        let primary = match get_ci(item, "primary") {
            None | Some(Value::Null) => false,
            Some(value) => boolean("primary", value)?,
        };
        entries.push(ProfileEmail {
            value: parsed.as_str().to_owned(),
            kind: text(item, "type").map(|t| t.chars().take(TYPE_MAX).collect()),
            primary,
        });
    }
    if let Some(last) = entries.iter().rposition(|e| e.primary) {
        for (i, entry) in entries.iter_mut().enumerate() {
            entry.primary = i == last;
        }
    }
    Ok(entries)
}

/// The address a person signs in with: the primary of `emails`, else the
/// `work` one, else the first; with no `emails` at all, a `userName` that
/// is an e-mail address. Otherwise a 400 naming `emails`.
fn login_email(entries: &[ProfileEmail], user_name: &str) -> ScimResult<Email> {
    let chosen = entries
        .iter()
        .find(|e| e.primary)
        .or_else(|| {
            entries.iter().find(|e| {
                e.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| entries.first());
    match chosen {
        Some(entry) => Ok(Email::parse(&entry.value).expect("parsed when read")),
        None => Email::parse(user_name).map_err(|_| {
            ScimError::invalid_value(format!(
                "emails: a user needs an e-mail address to sign in with; \
                 give one in \"emails\" (userName \"{user_name}\" is not one)."
            ))
        }),
    }
}

/// The service input a whole resource asks for. `before` is the resource
/// as it was (PUT and PATCH): of the ways to give a name, the one that
/// changed wins.
pub fn to_input(resource: &Value, before: Option<&Value>) -> ScimResult<UserPatch> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax("A user is a JSON object."));
    }
    let user_name = text(resource, "userName")
        .ok_or_else(|| ScimError::invalid_value("\"userName\" is required."))?;
    if user_name.chars().count() > USER_NAME_MAX || user_name.chars().any(char::is_control) {
        return Err(ScimError::invalid_value(format!(
            "\"userName\" has at most {USER_NAME_MAX} characters, none of them control characters."
        )));
    }
    let entries = email_entries(resource)?;
    let email = login_email(&entries, user_name)?;

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
        Some(value) => Some(boolean("active", value)?),
    };

    let additional: Vec<Email> = entries
        .iter()
        .filter(|e| !e.value.eq_ignore_ascii_case(email.as_str()))
        .map(|e| Email::parse(&e.value).expect("parsed when read"))
        .collect();
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

    let kind = match get_ci(resource, "userType") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(parse_user_type(raw)?),
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "\"userType\" must be a string, not {other}."
            )));
        }
    };
    let profile = Profile {
        written_name: name.as_str().to_owned(),
        name: name_parts(resource)?,
        emails: Some(entries),
        enterprise: enterprise_of(resource)?,
    };
    let creating = before.is_none();
    // A whole resource names every field it maps to, present or not.
    let named = [
        UserField::Email,
        UserField::Name,
        UserField::Active,
        UserField::Title,
        UserField::Position,
        UserField::Kind,
        UserField::AdditionalEmailAddresses,
        UserField::ExternalId,
        UserField::ScimProfile,
        UserField::ScimUserName,
    ];
    Ok(UserPatch {
        email: Some(email),
        name: Some(name),
        active: if creating {
            Some(active.unwrap_or(true))
        } else {
            active
        },
        // Probely's title enum follows when the free text names one of
        // its values ("Manager", "CTO"); otherwise it is left as it is.
        title: matching_title(position.as_deref()),
        position: Some(position),
        kind: Some(kind),
        additional_email_addresses: Some(additional),
        external_id: Some(external_id),
        scim_user_name: Some(Some(user_name.to_owned())),
        scim_profile: Some(Some(
            serde_json::to_string(&profile).expect("a profile serializes"),
        )),
        named: named.into_iter().collect(),
        ..UserPatch::default()
    })
}

/// What SQL makes of a filter: the user filter it can express, and whether
/// that is exactly the SCIM filter (then SQL counts and pages, whatever the
/// organization's size) or a superset of it (then the filter is also
/// evaluated in memory). Either way, the lookups IdPs make before each
/// write (`userName eq`, `externalId eq`, `id eq`) read one row, not all.
pub fn narrowing(filter: Option<&Filter>) -> (UserFilter, Plan) {
    let Some(filter) = filter else {
        return (UserFilter::default(), Plan::Exact);
    };
    let (narrow, exact) = translate(filter);
    (narrow, Plan::new(filter, exact))
}

/// `filter` as a user filter selecting a superset of its matches, and
/// whether it selects exactly them.
fn translate(filter: &Filter) -> (UserFilter, bool) {
    let mut narrow = UserFilter::default();
    match filter {
        Filter::Compare(path, op, literal) if path.uri.is_none() && path.sub.is_none() => {
            // userName compares case-insensitively: SQL's lower() agrees
            // with the in-memory comparison on ASCII only (SQLite's lower()
            // leaves other letters alone), so other text is not narrowed.
            let exact = match (path.name.as_str(), op, literal) {
                ("username", CompareOp::Eq, Literal::String(s)) if plain_ascii(s) => {
                    narrow.user_name = Some(s.clone());
                    true
                }
                ("username", CompareOp::Co | CompareOp::Sw | CompareOp::Ew, Literal::String(s))
                    if plain_ascii(s) =>
                {
                    narrow.user_name_contains = Some(s.clone());
                    *op == CompareOp::Co
                }
                ("externalid", CompareOp::Eq, Literal::String(s)) if !is_time(s) => {
                    narrow.external_id = Some(s.clone());
                    true
                }
                ("id", CompareOp::Eq, Literal::String(s)) if !is_time(s) => {
                    narrow.ids = vec![s.clone()];
                    true
                }
                ("active", CompareOp::Eq, Literal::Bool(b)) => {
                    narrow.active = Some(*b);
                    true
                }
                _ => false,
            };
            (narrow, exact)
        }
        // `emails.value eq`, or `emails[… value eq …]`: SQL finds the
        // addresses, memory checks the rest (types, primary).
        Filter::Compare(path, CompareOp::Eq, Literal::String(s))
            if path.uri.is_none()
                && path.name == "emails"
                && path.sub.as_deref() == Some("value")
                && plain_ascii(s) =>
        {
            narrow.email_any = Some(s.clone());
            (narrow, false)
        }
        Filter::ValuePath(path, inner) if path.uri.is_none() && path.name == "emails" => {
            narrow.email_any = email_value(inner).map(str::to_owned);
            (narrow, false)
        }
        Filter::And(left, right) => {
            // Both sides narrow; where both set the same field, one is kept
            // (a superset still) and memory decides.
            let (l, l_exact) = translate(left);
            let (r, r_exact) = translate(right);
            let mut exact = l_exact && r_exact;
            narrow.user_name = either(l.user_name, r.user_name, &mut exact);
            narrow.user_name_contains =
                either(l.user_name_contains, r.user_name_contains, &mut exact);
            narrow.external_id = either(l.external_id, r.external_id, &mut exact);
            narrow.email_any = either(l.email_any, r.email_any, &mut exact);
            narrow.active = either(l.active, r.active, &mut exact);
            narrow.ids = either(
                Some(l.ids).filter(|ids| !ids.is_empty()),
                Some(r.ids).filter(|ids| !ids.is_empty()),
                &mut exact,
            )
            .unwrap_or_default();
            (narrow, exact)
        }
        _ => (narrow, false),
    }
}

/// The address an `emails[…]` value filter requires (`value eq`, alone or
/// in an `and`).
fn email_value(inner: &Filter) -> Option<&str> {
    match inner {
        Filter::Compare(path, CompareOp::Eq, Literal::String(s))
            if path.name == "value" && path.sub.is_none() && plain_ascii(s) =>
        {
            Some(s)
        }
        Filter::And(left, right) => email_value(left).or_else(|| email_value(right)),
        _ => None,
    }
}

/// One side's value, or the other's; both set makes the translation
/// inexact.
fn either<T>(left: Option<T>, right: Option<T>, exact: &mut bool) -> Option<T> {
    if left.is_some() && right.is_some() {
        *exact = false;
    }
    left.or(right)
}

/// Text SQL compares as the in-memory filter does: ASCII, and not a time
/// (the filter compares two times as instants).
fn plain_ascii(s: &str) -> bool {
    s.is_ascii() && !is_time(s)
}

/// The users of the caller's organization as SCIM resources, oldest first:
/// SQL filters and pages where it can express the filter (see
/// `narrowing`); otherwise it narrows, and the filter is evaluated in
/// memory over pages of rows (see `query::page_of`).
pub struct Users;

impl Collection for Users {
    const SCHEMA: &'static str = USER_SCHEMA;

    async fn list(
        state: &AppState,
        caller: &Caller,
        base: String,
        query: &ListQuery,
        window: Window,
    ) -> ScimResult<Listed> {
        let caller = caller.clone();
        let (narrow, plan) = narrowing(query.filter.as_ref());
        let paged = state
            .db
            .read(move |conn| {
                page_of(
                    conn,
                    &plan,
                    window,
                    |conn| service::count(conn, &caller, &narrow),
                    |conn, offset, limit| {
                        Ok(service::window(conn, &caller, &narrow, offset, limit)?
                            .iter()
                            .map(|detail| to_scim(detail, &base))
                            .collect())
                    },
                )
            })
            .await?;
        Ok(paged?)
    }

    async fn create(
        state: &AppState,
        caller: Caller,
        body: Value,
        base: String,
    ) -> ScimResult<Value> {
        let input = Parsed::valid(NewUser {
            source: Source::Scim,
            fields: to_input(&body, None)?,
        });
        let detail = state
            .db
            .write(move |conn| service::create(conn, &caller, false, input))
            .await?;
        Ok(to_scim(&detail, &base))
    }

    fn current(conn: &mut DbConnection, caller: &Caller, id: &str, base: &str) -> Result<Value> {
        Ok(to_scim(&service::get(conn, caller, id, false)?, base))
    }

    fn remove(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
        service::delete(conn, caller, id, false)
    }

    /// Replaces (PUT) or patches the user: the new resource is computed from
    /// the current one inside the write's transaction, then written by
    /// `service::users::update`.
    async fn write(
        caller: Caller,
        state: web::Data<AppState>,
        req: HttpRequest,
        id: String,
        change: impl FnOnce(&Value) -> ScimResult<Value> + Send + 'static,
    ) -> ScimResult<HttpResponse> {
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
                    let input = match change(&before)
                        .and_then(|after| to_input(&after, Some(&before)))
                        .map(Parsed::valid)
                    {
                        Ok(input) => input,
                        Err(e) => return Ok(Err(e)),
                    };
                    service::update(conn, &caller, &id, false, input).map(Ok)
                })
                .await?
        };
        let query = requested_projection(&req);
        Ok(respond_resource(
            StatusCode::OK,
            to_scim(&outcome?, &base),
            &query,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse;

    fn plan_of(filter: &str) -> (UserFilter, bool) {
        let (narrow, plan) = narrowing(Some(&parse(filter).unwrap()));
        (narrow, plan.is_exact())
    }

    #[test]
    fn the_lookups_idps_make_are_exact_sql() {
        let (narrow, exact) = plan_of(r#"userName eq "Jdoe@Example.com""#);
        assert!(exact);
        assert_eq!(narrow.user_name.as_deref(), Some("Jdoe@Example.com"));
        let (narrow, exact) = plan_of(r#"externalId eq "00u1" and active eq true"#);
        assert!(exact);
        assert_eq!(narrow.external_id.as_deref(), Some("00u1"));
        assert_eq!(narrow.active, Some(true));
        assert!(plan_of(r#"id eq "abc""#).1);
        assert!(plan_of(r#"userName co "doe""#).1);
        assert!(narrowing(None).1.is_exact());
    }

    #[test]
    fn what_sql_cannot_say_exactly_is_a_superset_checked_in_memory() {
        // Prefixes and suffixes narrow by substring.
        let (narrow, exact) = plan_of(r#"userName sw "jd""#);
        assert!(!exact);
        assert_eq!(narrow.user_name_contains.as_deref(), Some("jd"));
        // Non-ASCII text: SQLite's lower() would not fold it.
        let (narrow, exact) = plan_of(r#"userName eq "ÉLODIE""#);
        assert!(!exact);
        assert_eq!(narrow.user_name, None);
        // Text that reads as a time compares as an instant.
        assert!(!plan_of(r#"userName eq "2026-01-01T00:00:00Z""#).1);
        // Two values for one column keep one, and memory decides.
        let (narrow, exact) = plan_of(r#"userName eq "a" and userName eq "b""#);
        assert!(!exact);
        assert_eq!(narrow.user_name.as_deref(), Some("a"));
        assert!(!plan_of(r#"userName eq "a" or userName eq "b""#).1);
        assert!(!plan_of(r#"name.givenName eq "Ann""#).1);
        assert!(!plan_of(r#"not (active eq true)"#).1);
        // Addresses: SQL finds candidates, memory checks types.
        for filter in [
            r#"emails.value eq "a@x.example""#,
            r#"emails[type eq "work" and value eq "a@x.example"]"#,
        ] {
            let (narrow, exact) = plan_of(filter);
            assert!(!exact, "{filter}");
            assert_eq!(narrow.email_any.as_deref(), Some("a@x.example"), "{filter}");
        }
        assert_eq!(plan_of(r#"emails[type eq "work"]"#).0.email_any, None);
    }
}
