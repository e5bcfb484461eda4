//! Webhook subscriptions, and the outbox they are fed from: `emit` runs
//! inside the audit hook, in the transaction of the change, so an event is
//! queued for delivery if and only if its change committed.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::auth::Caller;
use crate::crypto::SecretBox;
use crate::db::DbConnection;
use crate::db::secrets::webhook_secret;
use crate::db::webhooks::{self as rows, DeliveryRow, WebhookChanges, WebhookRow};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::{PublicId, address, time};
use crate::error::{Error, Result};
use crate::service::{Page, PageRequest, Parsed, audit};

/// Event types a webhook can subscribe to.
pub const EVENT_TYPES: [&str; 16] = [
    "user.created",
    "user.updated",
    "user.deleted",
    "user.deactivated",
    "membership.updated",
    "membership.expired",
    "label.created",
    "label.updated",
    "label.deleted",
    "team.created",
    "team.updated",
    "team.deleted",
    "access_request.created",
    "access_request.approved",
    "access_request.denied",
    "access_request.cancelled",
];

/// Subscriptions to a family (`label.*`) or to everything (`*`).
pub const EVENT_PATTERNS: [&str; 6] = [
    "*",
    "user.*",
    "membership.*",
    "label.*",
    "team.*",
    "access_request.*",
];

pub const URL_MAX: usize = 2048;
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 256;
pub const PRIVATE_REFUSED: &str = "Webhooks cannot target private or other special-purpose \
     addresses (loopback, link-local, shared, multicast, documentation, reserved, \
     NAT64, 6to4, ...): only globally reachable ones.";

/// A webhook's subscriptions: each an event type or a pattern, duplicates
/// dropped, at least one.
pub fn parse_events(names: &[String]) -> std::result::Result<Vec<String>, String> {
    let mut events: Vec<String> = Vec::new();
    for name in names {
        if !(EVENT_TYPES.contains(&name.as_str()) || EVENT_PATTERNS.contains(&name.as_str())) {
            return Err(format!("\"{name}\" is not a valid choice."));
        }
        if !events.contains(name) {
            events.push(name.clone());
        }
    }
    if events.is_empty() {
        return Err("This list may not be empty.".into());
    }
    Ok(events)
}

/// A webhook's signing secret: 16 to 256 characters.
pub fn parse_secret(raw: &str) -> std::result::Result<String, String> {
    if (SECRET_MIN..=SECRET_MAX).contains(&raw.chars().count()) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "The secret must have {SECRET_MIN} to {SECRET_MAX} characters."
        ))
    }
}

/// Whether a subscription (a type or a pattern) covers `event_type`.
pub fn covers(subscription: &str, event_type: &str) -> bool {
    subscription == "*"
        || subscription == event_type
        || subscription
            .strip_suffix(".*")
            .is_some_and(|family| event_type.split('.').next() == Some(family))
}

/// Addresses a webhook may not reach unless private targets are allowed:
/// every address that is not globally reachable, private or otherwise
/// special (checked when a webhook is saved and again, on the resolved and
/// pinned address, at each delivery).
pub fn is_private(ip: IpAddr) -> bool {
    !address::is_globally_reachable(ip)
}

/// A webhook URL: http(s), with a host; an IP literal must be public unless
/// private targets are allowed (names are checked when delivering).
pub fn parse_url(raw: &str, allow_private: bool) -> std::result::Result<String, String> {
    let raw = raw.trim();
    if raw.len() > URL_MAX {
        return Err(format!(
            "Ensure this field has no more than {URL_MAX} characters."
        ));
    }
    let url = url::Url::parse(raw).map_err(|_| "Enter a valid URL.".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Only http and https URLs are allowed.".into());
    }
    let ip = match url.host() {
        None => return Err("Enter a valid URL.".into()),
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            (name.eq_ignore_ascii_case("localhost")).then_some(IpAddr::from([127, 0, 0, 1]))
        }
    };
    if !allow_private && ip.is_some_and(is_private) {
        return Err(PRIVATE_REFUSED.into());
    }
    Ok(url.to_string())
}

/// Parsed webhook fields; `None` leaves a field unchanged. `Debug` leaves
/// the secret out.
#[derive(Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

impl std::fmt::Debug for WebhookInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookInput")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("active", &self.active)
            .finish()
    }
}

fn snapshot(w: &WebhookRow) -> audit::Changes {
    let mut events: Vec<&str> = w.event_types().collect();
    events.sort_unstable();
    match json!({"url": w.url, "events": events, "active": w.active}) {
        Value::Object(map) => map,
        _ => audit::Changes::new(),
    }
}

fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<WebhookRow> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    rows::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<WebhookRow> {
    caller.require(Permission::WebhooksManage)?;
    find(conn, caller, id)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    page: Parsed<PageRequest>,
) -> Result<Page<WebhookRow>> {
    caller.require(Permission::WebhooksManage)?;
    let page = page.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| rows::count(c, org),
        |c, offset, limit| Ok(rows::page(c, org, offset, limit)?),
    )
}

/// Creates a webhook; its secret is stored encrypted (see `crypto`).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    input: Parsed<WebhookInput>,
) -> Result<WebhookRow> {
    caller.require(Permission::WebhooksManage)?;
    input.errors.into_result()?;
    let value = input.value;
    let now = time::now();
    let actor = caller.actor();
    let id = PublicId::random().into_string();
    let secret = secrets.seal(&value.secret.expect("required"), webhook_secret(&id));
    let row = WebhookRow {
        id,
        organization_id: caller.organization_id().to_owned(),
        url: value.url.expect("required"),
        events: value.events.expect("required").join(" "),
        secret,
        active: value.active.unwrap_or(true),
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
    };
    rows::insert(conn, &row)?;
    caller.audit(
        conn,
        AuditAction::WebhookCreated,
        audit::object("webhook", &row.id),
        audit::created(&snapshot(&row)),
    )?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    id: &str,
    input: Parsed<WebhookInput>,
) -> Result<WebhookRow> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::WebhooksManage)?;
    input.errors.into_result()?;
    let value = input.value;
    let actor = caller.actor();
    let new_secret = value.secret.is_some();
    let changes = WebhookChanges {
        url: value.url,
        events: value.events.map(|e| e.join(" ")),
        secret: value
            .secret
            .map(|s| secrets.seal(&s, webhook_secret(&current.id))),
        active: value.active,
        changed: Some(time::now()),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
    };
    rows::update(conn, &current.id, &changes)?;
    let updated = find(conn, caller, &current.id)?;
    let mut diff = audit::diff(&snapshot(&current), &snapshot(&updated));
    if new_secret {
        diff.extend(audit::change("secret", Value::Null, "(changed)".into()));
    }
    caller.audit(
        conn,
        AuditAction::WebhookUpdated,
        audit::object("webhook", &current.id),
        diff,
    )?;
    Ok(updated)
}

pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::WebhooksManage)?;
    rows::delete(conn, &current.id)?;
    caller.audit(
        conn,
        AuditAction::WebhookDeleted,
        audit::object("webhook", &current.id),
        audit::deleted(&snapshot(&current)),
    )
}

pub fn deliveries(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    page: Parsed<PageRequest>,
) -> Result<Page<DeliveryRow>> {
    let webhook = get(conn, caller, id)?;
    let page = page.into_result()?;
    Page::load(
        conn,
        page,
        |c| rows::count_deliveries(c, &webhook.id),
        |c, offset, limit| Ok(rows::deliveries(c, &webhook.id, offset, limit)?),
    )
}

/// Sends one delivery's event again: a new delivery of the same event (the
/// same `id` and body, so receivers that deduplicate by event id see it
/// once) to the webhook as it is now, due at once. Any delivery may be
/// sent again, whatever its status, but not to a paused webhook (a 400).
/// Needs `webhooks.manage`.
pub fn redeliver(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    delivery_id: &str,
) -> Result<DeliveryRow> {
    let webhook = get(conn, caller, id)?;
    let delivery_id = PublicId::parse(delivery_id).ok_or(Error::NotFound)?;
    let earlier =
        rows::find_delivery(conn, &webhook.id, delivery_id.as_str())?.ok_or(Error::NotFound)?;
    if !webhook.active {
        return Err(Error::non_field(PAUSED));
    }
    let now = time::now();
    let row = DeliveryRow {
        id: PublicId::random().into_string(),
        status: rows::PENDING.to_owned(),
        attempts: 0,
        next_attempt: now,
        claimed_until: None,
        last_status_code: None,
        last_error: None,
        created: now,
        delivered: None,
        ..earlier
    };
    rows::insert_delivery(conn, &row)?;
    Ok(row)
}

pub const PAUSED: &str = "This webhook is paused: activate it to send an event again.";

/// The webhook event types an audited action raises.
fn event_types(action: AuditAction, changes: &audit::Changes) -> Vec<&'static str> {
    // The events a webhook may subscribe to are named as the actions are.
    let event = match action {
        AuditAction::UserCreated
        | AuditAction::UserUpdated
        | AuditAction::UserDeleted
        | AuditAction::UserDeactivated
        | AuditAction::LabelCreated
        | AuditAction::LabelUpdated
        | AuditAction::LabelDeleted
        | AuditAction::TeamCreated
        | AuditAction::TeamUpdated
        | AuditAction::TeamDeleted
        | AuditAction::AccessRequestCreated
        | AuditAction::AccessRequestApproved
        | AuditAction::AccessRequestDenied
        | AuditAction::AccessRequestCancelled => action.as_str(),
        // A grant that reached its end, removed by the scheduler.
        AuditAction::RoleExpired => "membership.expired",
        _ => return Vec::new(),
    };
    let mut types = vec![event];
    let roles_changed = changes.contains_key("user_roles");
    if roles_changed
        && matches!(
            action,
            AuditAction::UserUpdated | AuditAction::UserDeactivated
        )
    {
        types.push("membership.updated");
    }
    types
}

/// Queues the webhook events of one audited change (see `audit::record`).
pub fn emit(
    conn: &mut DbConnection,
    organization_id: &str,
    action: AuditAction,
    event: &crate::db::audit::AuditEventRow,
    changes: &audit::Changes,
) -> Result<()> {
    let types = event_types(action, changes);
    if types.is_empty() {
        return Ok(());
    }
    let active = rows::active_in_org(conn, organization_id)?;
    if active.is_empty() {
        return Ok(());
    }
    for event_type in types {
        let subscribed: Vec<&WebhookRow> = active
            .iter()
            .filter(|w| w.event_types().any(|s| covers(s, event_type)))
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let event_id = PublicId::random().into_string();
        let payload = json!({
            "id": event_id,
            "type": event_type,
            "occurred": time::format(&event.occurred),
            "organization_id": organization_id,
            "data": {
                "object": {"type": event.object_type, "id": event.object_id},
                "actor": {
                    "type": event.actor_type,
                    "id": event.actor_id,
                    "email": event.actor_email,
                    "name": event.actor_name,
                },
                "changes": changes,
                "interface": event.interface,
            },
        })
        .to_string();
        for webhook in subscribed {
            rows::insert_delivery(
                conn,
                &DeliveryRow {
                    id: PublicId::random().into_string(),
                    webhook_id: webhook.id.clone(),
                    event_id: event_id.clone(),
                    event_type: event_type.to_owned(),
                    payload: payload.clone(),
                    status: rows::PENDING.to_owned(),
                    attempts: 0,
                    next_attempt: event.occurred,
                    claimed_until: None,
                    last_status_code: None,
                    last_error: None,
                    created: event.occurred,
                    delivered: None,
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_their_family() {
        assert!(covers("*", "team.deleted"));
        assert!(covers("label.*", "label.created"));
        assert!(!covers("label.*", "user.created"));
        assert!(covers("user.updated", "user.updated"));
        assert!(!covers("user.*", "users.updated"));
    }

    #[test]
    fn private_addresses_are_recognised() {
        for private in [
            "10.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "192.168.0.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "198.18.0.1",
            "224.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("https://hooks.example.com/x", false).is_ok());
        assert_eq!(
            parse_url("ftp://example.com", false).unwrap_err(),
            "Only http and https URLs are allowed."
        );
        assert_eq!(
            parse_url("http://127.0.0.1:9/", false).unwrap_err(),
            PRIVATE_REFUSED
        );
        assert_eq!(
            parse_url("http://localhost/", false).unwrap_err(),
            PRIVATE_REFUSED
        );
        for special in [
            "http://[64:ff9b::a00:1]/",
            "http://[2002:a00:1::1]/",
            "http://[::a00:1]/",
            "http://198.18.0.1/",
            "http://224.0.0.1/",
            "http://0.1.2.3/",
            "http://100.64.0.1/",
            "http://192.0.0.1/",
            "http://192.0.2.1/",
            "http://240.0.0.1/",
            "http://[ff02::1]/",
            "http://[fc00::1]/",
            "http://[2001:db8::1]/",
        ] {
            assert_eq!(
                parse_url(special, false).unwrap_err(),
                PRIVATE_REFUSED,
                "{special}"
            );
            assert!(parse_url(special, true).is_ok(), "{special}");
        }
        assert!(parse_url("http://127.0.0.1:9/", true).is_ok());
        assert!(parse_url("not a url", false).is_err());
    }

    #[test]
    fn membership_changes_raise_their_own_event() {
        let mut changes = audit::Changes::new();
        assert_eq!(
            event_types(AuditAction::UserUpdated, &changes),
            ["user.updated"]
        );
        changes.insert("user_roles".into(), Value::Null);
        assert_eq!(
            event_types(AuditAction::UserUpdated, &changes),
            ["user.updated", "membership.updated"]
        );
        assert!(event_types(AuditAction::AuthLogin, &changes).is_empty());
        assert_eq!(
            event_types(AuditAction::LabelDeleted, &changes),
            ["label.deleted"]
        );
    }
}
