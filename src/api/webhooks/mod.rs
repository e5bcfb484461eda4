//! `/webhooks/`: subscriptions to user, membership, label and team events,
//! and each one's deliveries.

pub mod create;
pub mod delete;
pub mod deliveries;
pub mod get;
pub mod list;
pub mod redeliver;
pub mod update;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::ChangedBy;
use crate::api::common::page_view;
use crate::api::extract::{Fields, REQUIRED};
use crate::db::webhooks::{DeliveryRow, WebhookRow};
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::webhooks::{WebhookInput, parse_events, parse_secret, parse_url};

/// A webhook (never its secret).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[schema(example = "https://hr.example.com/hooks/tessera")]
    pub url: String,
    /// Event types (or `label.*`-style families, or `*`) it receives.
    pub events: Vec<String>,
    pub active: bool,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub changed: NaiveDateTime,
    pub changed_by: ChangedBy,
}

impl From<WebhookRow> for Webhook {
    fn from(w: WebhookRow) -> Self {
        Self {
            events: w.event_types().map(str::to_owned).collect(),
            changed_by: ChangedBy {
                id: w.changed_by_id,
                email: w.changed_by_email,
                name: w.changed_by_name,
            },
            id: w.id,
            url: w.url,
            active: w.active,
            created: w.created,
            changed: w.changed,
        }
    }
}

/// Fields of a webhook. `url`, `events` and `secret` are required on POST;
/// PATCH leaves omitted fields unchanged.
#[derive(ToSchema)]
#[schema(as = WebhookWrite)]
#[expect(dead_code, reason = "documents the shape read by parse_webhook_input")]
pub struct WebhookWriteDoc {
    /// An http(s) URL whose address is globally reachable: private,
    /// loopback, link-local and every other special-purpose address of the
    /// IANA registries (shared, multicast, documentation, benchmarking,
    /// reserved, NAT64, 6to4, ...) is refused, when saved and again when
    /// delivering to the name's address, unless
    /// `TESSERA_WEBHOOKS_ALLOW_PRIVATE` is set.
    #[schema(max_length = 2048)]
    url: String,
    /// `user.created`, `user.updated`, `user.deleted`, `user.deactivated`,
    /// `membership.updated`, `membership.expired` (a time-bound role
    /// assignment reached its end and the scheduler removed it),
    /// `label.created|updated|deleted`,
    /// `team.created|updated|deleted`,
    /// `access_request.created|approved|denied|cancelled`, or a family
    /// (`user.*`, `label.*`, `team.*`, `membership.*`, `access_request.*`) or `*`.
    events: Vec<String>,
    /// Signs each delivery (HMAC-SHA256). Write-only: never shown again.
    #[schema(min_length = 16, max_length = 256, format = Password)]
    secret: String,
    active: Option<bool>,
}

page_view! {
    /// A page of webhooks.
    WebhookPage of Webhook, "Number of webhooks."
}

/// One event's delivery to a webhook, with its attempts so far.
#[derive(Serialize, ToSchema)]
pub struct WebhookDelivery {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    /// The event's id (the `id` of the body; the same in every webhook's delivery).
    pub event_id: String,
    pub event_type: String,
    /// `PENDING` (to be tried, or retried), `DELIVERED` or `FAILED` (given up).
    pub status: String,
    pub attempts: i32,
    /// The receiver's HTTP status at the last attempt.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    /// When the next attempt is due (while PENDING).
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt: NaiveDateTime,
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered: Option<NaiveDateTime>,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(d: DeliveryRow) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created: d.created,
            next_attempt: d.next_attempt,
            delivered: d.delivered,
        }
    }
}

page_view! {
    /// A page of deliveries, newest first.
    WebhookDeliveryPage of WebhookDelivery, "Number of deliveries."
}

/// Reads webhook fields; `creating` makes url, events and secret required.
pub fn parse_webhook_input(
    fields: &Fields,
    creating: bool,
    allow_private: bool,
) -> Parsed<WebhookInput> {
    let mut e = FieldErrors::new();
    if creating {
        for key in ["url", "events", "secret"] {
            if !fields.has(key) {
                e.add(key, REQUIRED);
            }
        }
    }
    let url = fields
        .string("url", &mut e)
        .and_then(|raw| match parse_url(&raw, allow_private) {
            Ok(url) => Some(url),
            Err(message) => {
                e.add("url", message);
                None
            }
        });
    let events = fields.list("events", &mut e, 50).and_then(|items| {
        let names: Vec<String> = items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_owned)
            })
            .collect();
        parse_events(&names).collect(&mut e, "events")
    });
    let secret = fields
        .string("secret", &mut e)
        .and_then(|s| parse_secret(&s).collect(&mut e, "secret"));
    let active = fields.boolean("active", &mut e);
    Parsed {
        value: WebhookInput {
            url,
            events,
            secret,
            active,
        },
        errors: e,
    }
}
