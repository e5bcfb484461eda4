//! The webhooks pages: the list (`service::webhooks::list`), a new webhook
//! (`create`), and a webhook's page to edit it (`update`), pause or resume
//! it, delete it (`delete`) and read its deliveries (`deliveries`: status,
//! attempts, last answer). The signing secret is never shown back: a new
//! webhook left without one gets a generated secret, shown once on the
//! page answering the form; an edit without one keeps it. The service
//! offers no redelivery, so neither does the console.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::domain::id::random_secret;
use crate::error::{Collect, FieldErrors};
use crate::service::webhooks::{
    EVENT_PATTERNS, EVENT_TYPES, SECRET_MAX, URL_MAX, WebhookInput, parse_events, parse_secret,
    parse_url,
};
use crate::service::{self, PageRequest, Parsed};

const FIELDS: [&str; 3] = ["url", "events", "secret"];
/// Length of a generated secret.
const GENERATED_SECRET: usize = 32;
/// Deliveries per page of a webhook's page.
const DELIVERIES_SHOWN: i64 = 25;

pub struct WebhookItem {
    pub url: String,
    pub address: String,
    pub events: String,
    pub active: bool,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    rows: Vec<WebhookItem>,
    pager: Pager,
    notice: Option<&'static str>,
}

/// `GET /console/webhooks`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::webhooks::list(conn, caller, Parsed::valid(request))
    })
    .await?;
    let template = WebhooksPage {
        chrome: Chrome::of(&session, "webhooks"),
        pager: Pager::of(&listed, &params, "webhooks"),
        rows: listed
            .rows
            .into_iter()
            .map(|w| WebhookItem {
                url: format!("{ROOT}/webhooks/{}", w.id),
                events: w.event_types().collect::<Vec<_>>().join(", "),
                address: w.url,
                active: w.active,
                changed: org::when(w.changed),
            })
            .collect(),
        notice: org::notice(&params.done),
    };
    page(&template)
}

/// An event a webhook may subscribe to, as a checkbox.
pub struct EventChoice {
    pub name: &'static str,
    pub checked: bool,
}

/// A webhook's fields as the form holds them (never its secret).
#[derive(Default)]
pub struct WebhookValues {
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

impl WebhookValues {
    fn choices(&self, names: &[&'static str]) -> Vec<EventChoice> {
        names
            .iter()
            .map(|name| EventChoice {
                name,
                checked: self.events.iter().any(|e| e == name),
            })
            .collect()
    }
}

/// The form's fields; a blank secret is none (an edit keeps the old one).
fn parse(session: &Session, form: &Form, creating: bool) -> (WebhookValues, Parsed<WebhookInput>) {
    let values = WebhookValues {
        url: form.text("url").trim().to_owned(),
        events: form.all("events"),
        active: form.checked("active"),
    };
    let mut e = FieldErrors::new();
    let allow_private = session.state.webhook_settings.webhooks_allow_private;
    let url = parse_url(&values.url, allow_private).collect(&mut e, "url");
    let events = parse_events(&values.events).collect(&mut e, "events");
    let secret = match form.text("secret") {
        "" if creating => Some(random_secret(GENERATED_SECRET)),
        "" => None,
        raw => parse_secret(raw).collect(&mut e, "secret"),
    };
    let input = WebhookInput {
        url,
        events,
        secret,
        active: Some(values.active),
    };
    (values, Parsed::new(input, e))
}

#[derive(Template)]
#[template(path = "webhook_form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new webhook.
    id: Option<String>,
    values: WebhookValues,
    types: Vec<EventChoice>,
    patterns: Vec<EventChoice>,
    errors: FormErrors,
    url_max: usize,
    secret_max: usize,
}

impl FormPage {
    fn of(
        session: &Session,
        id: Option<String>,
        values: WebhookValues,
        errors: FormErrors,
    ) -> Self {
        Self {
            chrome: Chrome::of(session, "webhooks"),
            id,
            types: values.choices(&EVENT_TYPES),
            patterns: values.choices(&EVENT_PATTERNS),
            values,
            errors,
            url_max: URL_MAX,
            secret_max: SECRET_MAX,
        }
    }
}

/// `GET /console/webhooks/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    session
        .caller
        .require(crate::domain::role::Permission::WebhooksManage)?;
    let values = WebhookValues {
        active: true,
        ..WebhookValues::default()
    };
    page(&FormPage::of(&session, None, values, FormErrors::default()))
}

#[derive(Template)]
#[template(path = "webhook_secret.html")]
struct SecretPage {
    chrome: Chrome,
    url: String,
    address: String,
    secret: String,
}

/// `POST /console/webhooks`: a generated secret is shown once in the answer.
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let generated = form.text("secret").is_empty();
    let (values, input) = parse(&session, &form, true);
    let secret = input.value.secret.clone().unwrap_or_default();
    let secrets = session.state.secrets.clone();
    match write(&session, move |conn, caller| {
        service::webhooks::create(conn, caller, &secrets, input)
    })
    .await
    {
        Ok(w) if generated => page(&SecretPage {
            chrome: Chrome::of(&session, "webhooks"),
            url: format!("{ROOT}/webhooks/{}", w.id),
            address: w.url,
            secret,
        }),
        Ok(w) => Ok(see_other(&format!("{ROOT}/webhooks/{}?done=created", w.id))),
        Err(error) => refused(&FormPage::of(
            &session,
            None,
            values,
            FormErrors::of(error, &FIELDS)?,
        )),
    }
}

pub struct DeliveryItem {
    pub id: String,
    pub event_type: String,
    pub status: String,
    pub status_class: &'static str,
    pub attempts: i32,
    pub created: String,
    pub last: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    id: String,
    address: String,
    events: String,
    active: bool,
    created: String,
    changed: String,
    deliveries: Vec<DeliveryItem>,
    pager: Pager,
    notice: Option<&'static str>,
}

/// `GET /console/webhooks/{id}?page=`: the webhook and its deliveries.
pub async fn show(
    session: Session,
    id: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let id = org::id(id);
    let webhook_id = id.clone();
    let request = PageRequest::new(params.request().page, DELIVERIES_SHOWN);
    let (webhook, deliveries) = read(&session, move |conn, caller| {
        let webhook = service::webhooks::get(conn, caller, &webhook_id)?;
        let deliveries =
            service::webhooks::deliveries(conn, caller, &webhook.id, Parsed::valid(request))?;
        Ok((webhook, deliveries))
    })
    .await?;
    let template = WebhookPage {
        chrome: Chrome::of(&session, "webhooks"),
        pager: Pager::of(&deliveries, &params, &format!("webhooks/{id}")),
        deliveries: deliveries
            .rows
            .into_iter()
            .map(|d| DeliveryItem {
                status_class: match d.status.as_str() {
                    "DELIVERED" => "ok",
                    "FAILED" => "off",
                    _ => "warn",
                },
                last: match (d.last_status_code, d.last_error) {
                    (Some(code), Some(error)) => format!("HTTP {code}: {error}"),
                    (Some(code), None) => format!("HTTP {code}"),
                    (None, Some(error)) => error,
                    (None, None) => "—".into(),
                },
                next: if d.status == "PENDING" {
                    org::when(d.next_attempt)
                } else {
                    "—".into()
                },
                id: d.id,
                event_type: d.event_type,
                status: d.status,
                attempts: d.attempts,
                created: org::when(d.created),
            })
            .collect(),
        events: webhook.event_types().collect::<Vec<_>>().join(", "),
        address: webhook.url,
        active: webhook.active,
        created: org::when(webhook.created),
        changed: format!(
            "{} by {}",
            org::when(webhook.changed),
            webhook.changed_by_name
        ),
        notice: org::notice(&params.done),
        id,
    };
    page(&template)
}

/// `GET /console/webhooks/{id}/edit`
pub async fn edit(session: Session, id: web::Path<String>) -> Result<HttpResponse, Failure> {
    let id = org::id(id);
    let webhook_id = id.clone();
    let webhook = read(&session, move |conn, caller| {
        service::webhooks::get(conn, caller, &webhook_id)
    })
    .await?;
    let values = WebhookValues {
        events: webhook.event_types().map(str::to_owned).collect(),
        url: webhook.url,
        active: webhook.active,
    };
    page(&FormPage::of(
        &session,
        Some(id),
        values,
        FormErrors::default(),
    ))
}

/// `POST /console/webhooks/{id}`
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let (values, input) = parse(&session, &form, false);
    let secrets = session.state.secrets.clone();
    let webhook = id.clone();
    match write(&session, move |conn, caller| {
        service::webhooks::update(conn, caller, &secrets, &webhook, input)
    })
    .await
    {
        Ok(w) => Ok(see_other(&format!("{ROOT}/webhooks/{}?done=saved", w.id))),
        Err(error) => refused(&FormPage::of(
            &session,
            Some(id),
            values,
            FormErrors::of(error, &FIELDS)?,
        )),
    }
}

/// `POST /console/webhooks/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "webhooks",
        "deleted",
        service::webhooks::delete,
    )
    .await
}

/// `POST /console/webhooks/{id}/deliveries/{delivery}/redeliver`: sends a
/// delivery's event again (`service::webhooks::redeliver`, as
/// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver/`).
pub async fn redeliver(
    session: Session,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    Form::read(&session, &body)?;
    let (id, delivery) = path.into_inner();
    let webhook = id.clone();
    write(&session, move |conn, caller| {
        service::webhooks::redeliver(conn, caller, &webhook, &delivery)
    })
    .await?;
    Ok(see_other(&format!("{ROOT}/webhooks/{id}?done=redelivered")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_a_valid_secret() {
        assert!(parse_secret(&random_secret(GENERATED_SECRET)).is_ok());
    }
}
