//! `/webhooks/`: CRUD, signed deliveries to a local receiver, retries, the
//! outbox (sent iff the change committed, across a restart), and the
//! lifecycle scheduler.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{OWNER_EMAIL, TestApp, spawn_app, spawn_app_with};

const SECRET: &str = "whsec_0123456789abcdef";

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub signature: String,
    pub event: String,
    pub body: String,
}

/// A local HTTP receiver that answers 500 to its first `fail_first` requests.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<usize>>,
}

impl Receiver {
    pub fn start(fail_first: usize) -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let (g, r) = (got.clone(), refused.clone());
        let server = HttpServer::new(move || {
            let (g, r) = (g.clone(), r.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, r) = (g.clone(), r.clone());
                async move {
                    {
                        let mut refused = r.lock().unwrap();
                        if *refused < fail_first {
                            *refused += 1;
                            return HttpResponse::InternalServerError().body("not now");
                        }
                    }
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    g.lock().unwrap().push(Received {
                        signature: header("tessera-signature"),
                        event: header("tessera-event"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    HttpResponse::NoContent().finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            refused,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} deliveries, got {:?}", self.received());
    }
}

/// Verifies a `Tessera-Signature` the way a receiver would (README's recipe).
pub fn verify(signature: &str, body: &str, secret: &str) -> bool {
    let mut parts = signature.split(',');
    let t = parts
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .unwrap_or_default();
    let v1 = parts
        .next()
        .and_then(|p| p.strip_prefix("v1="))
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    fresh && expected == v1
}

/// An app that may deliver to 127.0.0.1 and retries quickly.
async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = 50;
        s.webhooks.webhook_retry_delay_ms = 50;
        s.webhooks.webhook_attempts = 3;
        s.webhooks.scheduler_interval = 0;
    })
    .await
}

async fn subscribe(app: &TestApp, token: &str, url: &str, events: Value) -> String {
    app.create(
        "/webhooks/",
        token,
        json!({"url": url, "events": events, "secret": SECRET}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn events_are_delivered_signed_with_the_documented_body() {
    let receiver = Receiver::start(0);
    let app = app().await;
    let owner = app.owner_token().await;
    let hook = subscribe(
        &app,
        &owner,
        &receiver.url,
        json!(["user.created", "label.*"]),
    )
    .await;

    let user = app
        .create(
            "/users/",
            &owner,
            json!({"email": "w@example.com", "name": "W"}),
        )
        .await;
    app.create("/labels/users/", &owner, json!({"name": "vip"}))
        .await;
    // Not subscribed: no delivery.
    app.create("/teams/", &owner, json!({"name": "Blue"})).await;

    let got = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "only the subscribed events");
    let created = got.iter().find(|r| r.event == "user.created").unwrap();
    assert!(
        verify(&created.signature, &created.body, SECRET),
        "{created:?}"
    );
    assert!(!verify(
        &created.signature,
        &created.body,
        "another-secret-value"
    ));
    let body: Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(body["type"], "user.created");
    assert_eq!(body["data"]["object"]["id"], user["id"]);
    assert_eq!(body["data"]["actor"]["email"], OWNER_EMAIL);
    assert_eq!(body["data"]["changes"]["email"]["after"], "w@example.com");
    let org = app.get("/account/", &owner).await.body["id"].clone();
    assert_eq!(body["organization_id"], org);
    assert!(body["id"].is_string() && body["occurred"].is_string());
    assert!(got.iter().any(|r| r.event == "label.created"));

    let deliveries = app
        .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
        .await;
    assert_eq!(deliveries.status, StatusCode::OK);
    assert_eq!(deliveries.body["count"], 2);
    let first = &deliveries.body["results"][0];
    assert_eq!(first["status"], "DELIVERED");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["last_status_code"], 204);
}

#[actix_web::test]
async fn a_failing_receiver_is_retried_and_a_dead_one_given_up() {
    let flaky = Receiver::start(2);
    let app = app().await;
    let owner = app.owner_token().await;
    let hook = subscribe(&app, &owner, &flaky.url, json!(["team.created"])).await;
    app.create("/teams/", &owner, json!({"name": "Red"})).await;
    flaky.wait_for(1).await;
    assert_eq!(*flaky.refused.lock().unwrap(), 2);
    let mut delivery = Value::Null;
    for _ in 0..100 {
        delivery = app
            .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
            .await
            .body["results"][0]
            .clone();
        if delivery["status"] == "DELIVERED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivery["status"], "DELIVERED", "{delivery}");
    assert_eq!(delivery["attempts"], 3);

    let dead = Receiver::start(usize::MAX);
    let hook = subscribe(&app, &owner, &dead.url, json!(["team.deleted"])).await;
    let team = app.create("/teams/", &owner, json!({"name": "Gone"})).await;
    app.delete(&format!("/teams/{}/", team["id"].as_str().unwrap()), &owner)
        .await;
    for _ in 0..100 {
        delivery = app
            .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
            .await
            .body["results"][0]
            .clone();
        if delivery["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivery["status"], "FAILED", "{delivery}");
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["last_status_code"], 500);
    assert!(delivery["last_error"].as_str().unwrap().contains("500"));
}

#[actix_web::test]
async fn a_rolled_back_change_sends_nothing() {
    let receiver = Receiver::start(0);
    let app = app().await;
    let owner = app.owner_token().await;
    subscribe(&app, &owner, &receiver.url, json!(["*"])).await;
    let duplicate = app
        .post(
            "/users/",
            &owner,
            json!({"email": OWNER_EMAIL, "name": "Twin"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    let owner_id = app.get("/profile/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last_owner = app
        .patch(
            &format!("/users/{owner_id}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_eq!(
        last_owner.status,
        StatusCode::BAD_REQUEST,
        "rolled back after the write"
    );
    // A committed change afterwards is the only delivery.
    app.create("/labels/users/", &owner, json!({"name": "after"}))
        .await;
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "{got:?}");
    assert_eq!(got[0].event, "label.created");
}

#[actix_web::test]
async fn the_outbox_survives_a_restart() {
    let receiver = Receiver::start(0);
    // A server that sends nothing (as if it died before its worker ran).
    let first = spawn_app_with(|s| {
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = 0;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let owner = first.owner_token().await;
    subscribe(&first, &owner, &receiver.url, json!(["label.created"])).await;
    first
        .create("/labels/users/", &owner, json!({"name": "queued"}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());

    // Another server on the same database delivers it.
    let url = first.database_url.clone();
    let second = spawn_app_with(move |s| {
        s.database_url = url;
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = 50;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].event, "label.created");
    drop(second);
}

#[actix_web::test]
async fn webhooks_are_validated_and_their_secret_is_write_only() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let missing = app.post("/webhooks/", &owner, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    for field in ["url", "events", "secret"] {
        assert_eq!(missing.body[field][0], "This field is required.", "{field}");
    }
    let bad = app
        .post(
            "/webhooks/",
            &owner,
            json!({"url": "ftp://x.example.com", "events": ["user.exploded"], "secret": "short"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body["url"][0].is_string()
            && bad.body["events"][0].is_string()
            && bad.body["secret"][0].is_string()
    );
    // Private addresses are refused by default.
    for url in [
        "http://127.0.0.1:9/x",
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
    ] {
        let private = app
            .post(
                "/webhooks/",
                &owner,
                json!({"url": url, "events": ["*"], "secret": SECRET}),
            )
            .await;
        assert_eq!(private.status, StatusCode::BAD_REQUEST, "{url}");
        assert!(
            private.body["url"][0].as_str().unwrap().contains("private"),
            "{url}"
        );
    }
    let created = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/t", "events": ["user.*"], "secret": SECRET}),
        )
        .await;
    assert!(created.get("secret").is_none(), "{created}");
    let id = created["id"].as_str().unwrap();
    let fetched = app.get(&format!("/webhooks/{id}/"), &owner).await.body;
    assert!(!fetched.to_string().contains(SECRET));
    let patched = app
        .patch(
            &format!("/webhooks/{id}/"),
            &owner,
            json!({"active": false, "secret": "a-brand-new-secret-1"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["active"], false);
    let audit = app
        .get(
            &format!("/audit-events/?object_id={id}&action=webhook.updated"),
            &owner,
        )
        .await
        .body;
    let event = audit["results"][0].to_string();
    assert!(
        event.contains("(changed)") && !event.contains("a-brand-new-secret-1"),
        "{event}"
    );
    let listed = app.get("/webhooks/", &owner).await.body;
    assert_eq!(listed["count"], 1);
    assert_eq!(
        app.delete(&format!("/webhooks/{id}/"), &owner).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/webhooks/{id}/"), &owner).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn webhooks_need_their_permission_and_stay_in_their_organization() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let created = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/t", "events": ["*"], "secret": SECRET}),
        )
        .await;
    let path = format!("/webhooks/{}/", created["id"].as_str().unwrap());
    assert_eq!(
        app.call(Method::GET, "/webhooks/", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, employee) = app.member(&owner, "e@example.com", "EMPLOYEE").await;
    assert_eq!(
        app.get("/webhooks/", &employee).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&path, &employee).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/webhooks/", &employee, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let (_, admin) = app.member(&owner, "a@example.com", "ADMIN").await;
    assert_eq!(app.get(&path, &admin).await.status, StatusCode::OK);
    let other = app.second_organization("boss@other.example.com").await;
    assert_eq!(app.get(&path, &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/webhooks/", &other).await.body["count"], 0);
    assert_eq!(
        app.patch(&path, &other, json!({"active": false}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &other).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{path}deliveries/"), &other).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn ended_contracts_are_deactivated_once_by_the_system() {
    let receiver = Receiver::start(0);
    let first = spawn_app_with(|s| {
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = 50;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let owner = first.owner_token().await;
    subscribe(&first, &owner, &receiver.url, json!(["user.deactivated"])).await;
    let (leaver, leaver_token) = first.member(&owner, "leaver@example.com", "EMPLOYEE").await;
    let (stayer, _) = first.member(&owner, "stayer@example.com", "EMPLOYEE").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    first
        .patch(
            &format!("/users/{leaver}/"),
            &owner,
            json!({"contract_start_date": null, "contract_end_date": yesterday}),
        )
        .await;
    first
        .patch(
            &format!("/users/{stayer}/"),
            &owner,
            json!({"contract_end_date": tomorrow}),
        )
        .await;

    // Two schedulers on one database, as two replicas would be.
    let mut others = Vec::new();
    for _ in 0..2 {
        let url = first.database_url.clone();
        others.push(
            spawn_app_with(move |s| {
                s.database_url = url;
                s.webhooks.webhook_poll_ms = 0;
                s.webhooks.scheduler_interval = 1;
            })
            .await,
        );
    }
    let mut state = Value::Null;
    for _ in 0..100 {
        state = first.get(&format!("/users/{leaver}/"), &owner).await.body["state"].clone();
        if state == "DEACTIVATED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "DEACTIVATED");
    // Let both run a few more rounds: nothing more happens.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let events = first
        .get(
            &format!("/audit-events/?object_id={leaver}&action=user.deactivated"),
            &owner,
        )
        .await
        .body;
    assert_eq!(events["count"], 1, "{events}");
    assert_eq!(events["results"][0]["actor"]["type"], "system");
    assert_eq!(events["results"][0]["interface"], "scheduler");
    assert_eq!(
        first.get(&format!("/users/{stayer}/"), &owner).await.body["state"],
        "ACTIVE"
    );
    assert_eq!(
        first.get("/profile/", &leaver_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].event, "user.deactivated");
    drop(others);
}

#[actix_web::test]
async fn a_delivery_is_sent_again_as_the_same_event() {
    let receiver = Receiver::start(0);
    let app = app().await;
    let owner = app.owner_token().await;
    let hook = subscribe(&app, &owner, &receiver.url, json!(["team.created"])).await;
    app.create("/teams/", &owner, json!({"name": "Blue"})).await;
    receiver.wait_for(1).await;
    let mut first = Value::Null;
    for _ in 0..100 {
        first = app
            .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
            .await
            .body["results"][0]
            .clone();
        if first["status"] == "DELIVERED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(first["status"], "DELIVERED", "{first}");
    let path = format!(
        "/webhooks/{hook}/deliveries/{}/redeliver/",
        first["id"].as_str().unwrap()
    );

    let unauthenticated = app.call(Method::POST, &path, None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;
    assert_eq!(
        app.post(&path, &employee, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    for missing in [
        format!("/webhooks/{hook}/deliveries/1111111111111/redeliver/"),
        format!(
            "/webhooks/1111111111111/deliveries/{}/redeliver/",
            first["id"].as_str().unwrap()
        ),
        format!("/webhooks/{hook}/deliveries/nope/redeliver/"),
    ] {
        let reply = app.post(&missing, &owner, json!({})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let other = app.second_organization("other-owner@example.com").await;
    assert_eq!(
        app.post(&path, &other, json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    let again = app.post(&path, &owner, json!({})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_ne!(again.body["id"], first["id"]);
    assert_eq!(again.body["event_id"], first["event_id"]);
    assert_eq!(again.body["status"], "PENDING");
    assert_eq!(again.body["attempts"], 0);
    let got = receiver.wait_for(2).await;
    assert_eq!(got[0].body, got[1].body, "the same event, byte for byte");
    assert!(verify(&got[1].signature, &got[1].body, SECRET));
    let deliveries = app
        .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
        .await;
    assert_eq!(deliveries.body["count"], 2);

    // A paused webhook sends nothing again.
    let paused = app
        .patch(
            &format!("/webhooks/{hook}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let refused = app.post(&path, &owner, json!({})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["non_field_errors"][0],
        "This webhook is paused: activate it to send an event again."
    );
}
