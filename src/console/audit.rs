//! The audit trail page: the organization's events, newest first, through
//! `service::audit::list` (which needs `audit.view`), filtered by action,
//! actor and object.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::people::Choice;
use super::{Chrome, Failure, ROOT, Session, page};
use crate::db::audit::AuditFilter;
use crate::domain::PublicId;
use crate::domain::audit::AuditAction;
use crate::service::{self, PageRequest, Parsed};

/// Events per page.
const PAGE_LENGTH: i64 = 50;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditParams {
    #[serde(default)]
    action: String,
    /// A person's id: events they caused.
    #[serde(default)]
    actor: String,
    /// An object's id: events about it (a person's history).
    #[serde(default)]
    object: String,
    #[serde(default)]
    page: String,
}

impl AuditParams {
    fn id(raw: &str) -> Option<String> {
        PublicId::parse(raw.trim()).map(PublicId::into_string)
    }

    fn filter(&self) -> AuditFilter {
        AuditFilter {
            action: AuditAction::ALL
                .into_iter()
                .find(|a| a.as_str() == self.action)
                .map(|a| a.as_str().to_owned()),
            actor: Self::id(&self.actor),
            object_id: Self::id(&self.object),
            ..AuditFilter::default()
        }
    }

    fn url(&self, page: i64) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("action", self.action.as_str()),
            ("actor", &self.actor),
            ("object", &self.object),
        ] {
            if !value.is_empty() {
                pairs.append_pair(key, value);
            }
        }
        pairs.append_pair("page", &page.to_string());
        format!("{ROOT}/audit?{}", pairs.finish())
    }
}

pub struct EventRow {
    pub occurred: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub object_url: Option<String>,
    pub interface: String,
    pub changes: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    params: AuditParams,
    actions: Vec<Choice>,
    rows: Vec<EventRow>,
    count: i64,
    page: i64,
    page_total: i64,
    previous: Option<String>,
    next: Option<String>,
}

/// `GET /console/audit`
pub async fn list(
    session: Session,
    query: web::Query<AuditParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let filter = params.filter();
    let request = PageRequest::new(
        params.page.trim().parse::<i64>().unwrap_or(1).max(1),
        PAGE_LENGTH,
    );
    let caller = session.caller.clone();
    let listed = session
        .state
        .db
        .read(move |conn| {
            service::audit::list(conn, &caller, Parsed::valid(filter), false, request)
        })
        .await?;
    let rows = listed
        .rows
        .into_iter()
        .map(|e| EventRow {
            occurred: e.occurred.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e
                .actor_email
                .or(e.actor_name)
                .unwrap_or_else(|| e.actor_type.clone()),
            object_url: (e.object_type == "user").then(|| format!("{ROOT}/people/{}", e.object_id)),
            object: format!("{} {}", e.object_type, e.object_id),
            action: e.action,
            interface: e.interface,
            changes: summary(&e.changes),
        })
        .collect();
    let page_number = listed.request.page;
    let template = AuditPage {
        chrome: Chrome::of(&session, "audit"),
        actions: AuditAction::ALL
            .into_iter()
            .map(|a| Choice {
                value: a.as_str().to_owned(),
                label: a.as_str().to_owned(),
                selected: a.as_str() == params.action,
            })
            .collect(),
        rows,
        count: listed.count,
        page: page_number,
        page_total: listed.page_total,
        previous: (page_number > 1).then(|| params.url(page_number - 1)),
        next: (page_number < listed.page_total).then(|| params.url(page_number + 1)),
        params,
    };
    page(&template)
}

/// The changed fields of an event, named (their values are on the API).
fn summary(changes: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(changes) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}
