//! What the organization pages (teams, targets, labels, roles, API users,
//! invitations, webhooks, single sign-on) share: which of them the caller
//! may see (the navigation), the posted form with its CSRF check, the
//! service's field errors placed next to their fields, the list's search
//! and pager, and the notice after a write. Their templates share
//! `org_macros.html` the same way.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Failure, ROOT, Session, page_with_status};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::{Page, PageRequest};

/// Rows per page of every organization list.
pub const PAGE_LENGTH: i64 = 25;

/// The organization pages the caller may open, for the navigation (each
/// page still asks the service, which refuses what is not allowed).
#[derive(Clone, Copy, Debug, Default)]
pub struct Nav {
    pub teams: bool,
    pub targets: bool,
    pub labels: bool,
    pub roles: bool,
    pub api_users: bool,
    pub invitations: bool,
    pub webhooks: bool,
    pub sso: bool,
}

impl Nav {
    pub fn of(caller: &Caller) -> Self {
        let users = caller.has(Permission::UsersView);
        Self {
            teams: users,
            targets: caller.has(Permission::TargetsView),
            labels: users,
            roles: users,
            api_users: users,
            invitations: caller.grants.anywhere(Permission::UsersManage),
            webhooks: caller.has(Permission::WebhooksManage),
            sso: caller.has(Permission::SsoManage),
        }
    }
}

/// A posted form, its CSRF token already checked. Repeated names (a list
/// of checkboxes) are kept in order.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Reads an urlencoded body, refusing it without this session's token.
    pub fn read(session: &Session, body: &[u8]) -> std::result::Result<Self, Failure> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let form = Self(pairs);
        session.check_csrf(form.text("csrf"))?;
        Ok(form)
    }

    /// The first value of `name` ("" when absent).
    pub fn text(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Whether checkbox `name` is ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.text(name), "on" | "true")
    }
}

/// The messages of a refused form, by field; what no field of the form
/// shows is under `general`.
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: BTreeMap<String, Vec<String>>,
    pub general: Vec<String>,
}

impl FormErrors {
    /// The field errors of a service error (a 400 naming fields), placed
    /// on `fields`; any other error is the failure it is.
    pub fn of(error: Error, fields: &[&str]) -> std::result::Result<Self, Failure> {
        let mut out = Self::default();
        match error.into_field_errors() {
            Ok(errors) => out.place("", errors.into_value(), fields),
            Err(Error::BadRequest(detail)) => out.general.push(detail),
            Err(other) => return Err(Failure::from(other)),
        }
        Ok(out)
    }

    /// Places the messages of `value` (a DRF error body, its nested
    /// objects named `outer.inner`) on `fields`, the rest under `general`.
    fn place(&mut self, prefix: &str, value: serde_json::Value, fields: &[&str]) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let field = if prefix.is_empty() {
                        key
                    } else {
                        format!("{prefix}.{key}")
                    };
                    if value.is_object() {
                        self.place(&field, value, fields);
                    } else if fields.contains(&field.as_str()) {
                        let messages = super::messages(value);
                        self.fields.entry(field).or_default().extend(messages);
                    } else {
                        self.general.extend(super::messages(value));
                    }
                }
            }
            other => self.general.extend(super::messages(other)),
        }
    }

    /// The messages of `field` (none: empty).
    pub fn on(&self, field: &str) -> &[String] {
        self.fields.get(field).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A form page shown again with its errors: a 400.
pub fn refused(template: &impl Template) -> std::result::Result<HttpResponse, Failure> {
    page_with_status(StatusCode::BAD_REQUEST, template)
}

/// A list's query: a search and a page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: String,
    /// What was just done (the notice to show).
    #[serde(default)]
    pub done: String,
    /// A list's own filter (e.g. invitations' state).
    #[serde(default)]
    pub state: String,
}

impl ListParams {
    /// The search, trimmed and bounded (none when empty).
    pub fn search(&self) -> Option<String> {
        let q = self.q.trim();
        (!q.is_empty()).then(|| q.chars().take(100).collect())
    }

    pub fn request(&self) -> PageRequest {
        PageRequest::new(
            self.page.trim().parse::<i64>().unwrap_or(1).max(1),
            PAGE_LENGTH,
        )
    }

    /// The list at `path` (under the console) with this query and page `page`.
    pub fn url(&self, path: &str, page: i64) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            pairs.append_pair("q", &self.q);
        }
        if !self.state.is_empty() {
            pairs.append_pair("state", &self.state);
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        let query = pairs.finish();
        if query.is_empty() {
            format!("{ROOT}/{path}")
        } else {
            format!("{ROOT}/{path}?{query}")
        }
    }
}

/// What a list page's footer shows.
pub struct Pager {
    pub count: i64,
    pub page: i64,
    pub page_total: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn of<T>(listed: &Page<T>, params: &ListParams, path: &str) -> Self {
        let page = listed.request.page;
        Self {
            count: listed.count,
            page,
            page_total: listed.page_total,
            previous: (page > 1).then(|| params.url(path, page - 1)),
            next: (page < listed.page_total).then(|| params.url(path, page + 1)),
        }
    }
}

/// The `?done=` of a page after a write, as its notice.
#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

/// The usual notices after a write.
pub fn notice(done: &str) -> Option<&'static str> {
    match done {
        "created" => Some("Created."),
        "saved" => Some("Saved."),
        "deleted" => Some("Deleted."),
        "redelivered" => Some("Queued again: it is sent within seconds."),
        _ => None,
    }
}

/// A date and time as the console shows them (UTC).
pub fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Reads through the service with the session's caller.
pub async fn read<T, F>(session: &Session, work: F) -> Result<T>
where
    F: FnOnce(&mut DbConnection, &Caller) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let caller = session.caller.clone();
    session.state.db.read(move |conn| work(conn, &caller)).await
}

/// Writes through the service with the session's caller (one transaction).
pub async fn write<T, F>(session: &Session, work: F) -> Result<T>
where
    F: FnOnce(&mut DbConnection, &Caller) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let caller = session.caller.clone();
    session
        .state
        .db
        .write(move |conn| work(conn, &caller))
        .await
}

/// A form that only says "do it" to one object (delete, revoke): checks
/// the CSRF token, runs `action` on the object's id through the service
/// layer, then goes back to the `list` page with `?done=`.
pub async fn act_then_list<T, F>(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
    list: &'static str,
    done: &'static str,
    action: F,
) -> std::result::Result<HttpResponse, Failure>
where
    F: FnOnce(&mut DbConnection, &Caller, &str) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    Form::read(&session, &body)?;
    let id = id.into_inner();
    write(&session, move |conn, caller| action(conn, caller, &id)).await?;
    Ok(super::see_other(&format!("{ROOT}/{list}?done={done}")))
}

/// The id of a path.
pub fn id(path: web::Path<String>) -> String {
    path.into_inner()
}
