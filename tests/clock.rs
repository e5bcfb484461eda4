//! Black-box tests that move the service's clock (`domain::time::test_clock`,
//! which exists only in builds with debug assertions): grants with an end
//! and dormant accounts. The clock is one per process, so these tests run
//! in this binary of their own, one at a time.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::time::Duration;

use chrono::SecondsFormat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tessera::domain::time::test_clock;

use helpers::{PASSWORD, TestApp, spawn_app_with};

/// Holds the clock for one test and puts it back when the test ends,
/// however it ends.
struct Clock(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

static CLOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Clock {
    fn take() -> Self {
        let guard = CLOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        test_clock::reset();
        Clock(guard)
    }

    fn advance(&self, by: chrono::Duration) {
        test_clock::advance(by);
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        test_clock::reset();
    }
}

/// RFC 3339 for `now + by` on the service's clock.
fn at(by: chrono::Duration) -> String {
    (tessera::domain::time::now().and_utc() + by).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An app whose scheduler runs every second and that may queue webhooks to
/// a local address.
async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.webhooks.scheduler_interval = 1;
        s.webhooks.webhooks_allow_private = true;
    })
    .await
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 20 s");
}

async fn team(app: &TestApp, owner: &str, name: &str) -> String {
    let team = app.create("/teams/", owner, json!({"name": name})).await;
    team["id"].as_str().unwrap().to_owned()
}

fn roles(employee_and: Value) -> Value {
    json!({"user_roles": [{"role": "EMPLOYEE"}, employee_and]})
}

#[actix_web::test]
async fn a_grant_stops_working_when_it_expires_and_the_scheduler_removes_it() {
    let clock = Clock::take();
    let app = app().await;
    let owner = app.owner_token().await;
    let team = team(&app, &owner, "Red").await;
    let hook = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["membership.*"],
                   "secret": "whsec_0123456789abcdef"}),
        )
        .await;
    let (id, token) = app.member(&owner, "temp@example.com", "EMPLOYEE").await;
    let expires = at(chrono::Duration::hours(1));
    let granted = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            roles(json!({"role": "ADMIN", "team": team, "expires": expires})),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    let item = &granted.body["user_roles"][1];
    assert_eq!(item["role"]["name"], "ADMIN");
    assert_eq!(item["starts"], Value::Null);
    assert!(
        item["expires"]
            .as_str()
            .unwrap()
            .starts_with(&expires[..19])
    );

    // In force: the team's ADMIN may change the team.
    let team_path = format!("/teams/{team}/");
    let edit = || app.patch(&team_path, &token, json!({"description": "x"}));
    assert_eq!(edit().await.status, StatusCode::OK);
    let review = app.get(&format!("/access-review/?user={id}"), &owner).await;
    let via = &review.body["results"][0]["permissions"];
    assert!(
        via.as_array()
            .unwrap()
            .iter()
            .any(|p| p["granted_by"]["expires"].is_string()),
        "the review shows the window: {via}"
    );

    // Past its end, with the same token: refused at once, job or no job.
    clock.advance(chrono::Duration::hours(2));
    let refused = edit().await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let check = app
        .post(
            "/authz/check/",
            &owner,
            json!({"subject": id, "checks": [{"permission": "teams.manage", "team": team}]}),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert_eq!(check.body["results"][0]["allowed"], false, "{}", check.body);

    // The scheduler removes it, as the System actor, audited and raised.
    eventually("the expired grant is removed", || async {
        let user = app.get(&format!("/users/{id}/"), &owner).await;
        user.body["user_roles"].as_array().unwrap().len() == 1
    })
    .await;
    let user = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(user.body["user_roles"][0]["role"]["name"], "EMPLOYEE");
    assert_eq!(user.body["changed_by"]["name"], "System");
    let events = app.get("/audit-events/?action=role.expired", &owner).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    let event = &events.body["results"][0];
    assert_eq!(events.body["count"], 1, "{}", events.body);
    assert_eq!(event["object"]["id"], id.as_str());
    assert_eq!(event["actor"]["name"], "System");
    let hook = hook["id"].as_str().unwrap();
    let deliveries = app
        .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
        .await;
    assert!(
        deliveries.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["event_type"] == "membership.expired"),
        "{}",
        deliveries.body
    );
    drop(clock);
}

#[actix_web::test]
async fn a_grant_gives_nothing_before_it_starts() {
    let clock = Clock::take();
    let app = app().await;
    let owner = app.owner_token().await;
    let team = team(&app, &owner, "Blue").await;
    let (id, token) = app.member(&owner, "later@example.com", "EMPLOYEE").await;
    let granted = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            roles(json!({"role": "ADMIN", "team": team,
                         "starts": at(chrono::Duration::hours(1)),
                         "expires": at(chrono::Duration::hours(3))})),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    let team_path = format!("/teams/{team}/");
    let edit = || app.patch(&team_path, &token, json!({"description": "x"}));
    assert_eq!(edit().await.status, StatusCode::FORBIDDEN);
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(edit().await.status, StatusCode::OK);
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(edit().await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn windows_are_checked_and_a_stored_one_round_trips() {
    let clock = Clock::take();
    let app = spawn_app_with(|s| s.webhooks.scheduler_interval = 0).await;
    let owner = app.owner_token().await;
    let team = team(&app, &owner, "Green").await;
    let (id, employee) = app.member(&owner, "w@example.com", "EMPLOYEE").await;
    let path = format!("/users/{id}/");
    let with = |item: Value| roles(item);

    // Authorization before validation: an EMPLOYEE may not grant at all.
    let forbidden = app
        .patch(
            &path,
            &employee,
            with(json!({"role": "ADMIN", "team": team, "expires": "nope"})),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    for (item, field, message) in [
        (
            json!({"role": "ADMIN", "team": team, "expires": "tomorrow"}),
            "expires",
            "Datetime has wrong format.",
        ),
        (
            json!({"role": "ADMIN", "team": team, "starts": 5}),
            "starts",
            "Not a valid string.",
        ),
        (
            json!({"role": "ADMIN", "team": team, "expires": at(-chrono::Duration::minutes(1))}),
            "expires",
            "Ensure this time is in the future.",
        ),
        (
            json!({"role": "ADMIN", "team": team,
                   "starts": at(chrono::Duration::hours(2)),
                   "expires": at(chrono::Duration::hours(1))}),
            "expires",
            "Ensure this time is after starts.",
        ),
    ] {
        let reply = app.patch(&path, &owner, with(item.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{item}: {}",
            reply.body
        );
        let got = reply.body["user_roles"][1][field][0]
            .as_str()
            .unwrap_or_default();
        assert!(got.starts_with(message), "{item}: {}", reply.body);
    }
    let membership = app
        .patch(
            &path,
            &owner,
            json!({"user_roles": [{"role": "EMPLOYEE", "expires": at(chrono::Duration::days(1))}]}),
        )
        .await;
    assert_eq!(membership.status, StatusCode::BAD_REQUEST);
    assert!(
        membership.body["user_roles"][0]["expires"][0]
            .as_str()
            .unwrap()
            .starts_with("A membership role cannot be time-bound"),
        "{}",
        membership.body
    );

    // A window that has passed, but is still stored (the scheduler is off),
    // is written back unchanged: a client may PATCH what it GETs.
    let granted = app
        .patch(
            &path,
            &owner,
            with(json!({"role": "ADMIN", "team": team, "expires": at(chrono::Duration::hours(1))})),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    clock.advance(chrono::Duration::hours(2));
    let current = app.get(&path, &owner).await.body["user_roles"].clone();
    let items: Vec<Value> = current
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"role": r["role"]["id"], "team": r["team"]["id"], "expires": r["expires"]}))
        .collect();
    let again = app.patch(&path, &owner, json!({"user_roles": items})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    // Moving it is granting again: its new end must be ahead.
    let moved = app
        .patch(
            &path,
            &owner,
            with(json!({"role": "ADMIN", "team": team, "expires": at(chrono::Duration::hours(1))})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
}

#[actix_web::test]
async fn dormant_accounts_are_flagged_then_deactivated_but_never_the_last_owner() {
    let clock = Clock::take();
    let app = app().await;
    let owner = app.owner_token().await;
    let (_, viewer) = app.member(&owner, "viewer@example.com", "VIEWER").await;
    assert_eq!(
        app.patch("/account/", &viewer, json!({"dormant_after_days": 30}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for (body, field) in [
        (json!({"dormant_after_days": 0}), "dormant_after_days"),
        (json!({"dormant_after_days": 3651}), "dormant_after_days"),
        (json!({"dormant_after_days": "30"}), "dormant_after_days"),
        (json!({"dormant_action": "delete"}), "dormant_action"),
        (json!({"dormant_action": null}), "dormant_action"),
    ] {
        let reply = app.patch("/account/", &owner, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert!(reply.body[field].is_array(), "{body}: {}", reply.body);
    }
    let set = app
        .patch("/account/", &owner, json!({"dormant_after_days": 30}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["dormant_after_days"], 30);
    assert_eq!(set.body["dormant_action"], "flag");

    let active = app
        .create_member(&owner, "active@example.com", "EMPLOYEE")
        .await;
    let idle = app
        .create_member(&owner, "idle@example.com", "EMPLOYEE")
        .await;
    let robot = app
        .create(
            "/api-users/",
            &owner,
            json!({"email": "robot@example.com", "name": "Robot",
                 "user_roles": [{"role": "EMPLOYEE"}]}),
        )
        .await;
    let robot = robot["id"].as_str().unwrap().to_owned();
    let key = app
        .create(
            &format!("/api-users/{robot}/keys/"),
            &owner,
            json!({"name": "ci"}),
        )
        .await;
    let key = key["key"].as_str().unwrap().to_owned();

    clock.advance(chrono::Duration::days(31));
    // One signs in, the robot uses its key: neither is dormant.
    app.login("active@example.com", PASSWORD).await;
    let call = app
        .client
        .get(app.url("/account/"))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), StatusCode::OK);

    let review = app.get("/access-review/?length=100", &owner).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    let dormant = |id: &str| {
        review.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["user"]["id"] == id)
            .map(|r| r["dormant"].clone())
            .unwrap()
    };
    assert_eq!(dormant(&idle), true);
    assert_eq!(dormant(&active), false);
    assert_eq!(dormant(&robot), false);
    assert_eq!(
        app.get(&format!("/users/{idle}/"), &owner).await.body["active"],
        true,
        "flag only flags"
    );

    let set = app
        .patch("/account/", &owner, json!({"dormant_action": "deactivate"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    eventually("the idle account is deactivated", || async {
        app.get(&format!("/users/{idle}/"), &owner).await.body["active"] == false
    })
    .await;
    // The owner's token still works; the owner (idle too: it signed in 31
    // days ago) is the last active owner, so it stays active.
    let me = app.get("/account/", &owner).await;
    assert_eq!(me.status, StatusCode::OK);
    for path in [format!("/users/{active}/"), format!("/api-users/{robot}/")] {
        assert_eq!(app.get(&path, &owner).await.body["active"], true, "{path}");
    }
    let events = app
        .get(
            &format!("/audit-events/?action=user.deactivated&object_id={idle}"),
            &owner,
        )
        .await;
    assert_eq!(
        events.body["results"][0]["actor"]["name"], "System",
        "{}",
        events.body
    );
}

#[actix_web::test]
async fn an_approved_access_request_ends_with_its_duration() {
    let clock = Clock::take();
    let app = app().await;
    let owner = app.owner_token().await;
    let team = team(&app, &owner, "Red").await;
    let (id, token) = app.member(&owner, "asker@example.com", "EMPLOYEE").await;
    let request = app
        .create(
            "/access-requests/",
            &token,
            json!({"role": "ADMIN", "team": team, "duration": 3600, "reason": "Release"}),
        )
        .await;
    let path = format!("/access-requests/{}/", request["id"].as_str().unwrap());
    let approved = app
        .post(&format!("{path}approve/"), &owner, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let user = app.get(&format!("/users/{id}/"), &owner).await.body;
    let granted = &user["user_roles"][1];
    assert_eq!(granted["role"]["name"], "ADMIN", "{user}");
    assert_eq!(granted["expires"], approved.body["grant"]["expires"]);

    let team_path = format!("/teams/{team}/");
    let edit = || app.patch(&team_path, &token, json!({"description": "x"}));
    assert_eq!(edit().await.status, StatusCode::OK);
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(edit().await.status, StatusCode::FORBIDDEN);
    drop(clock);
}

#[actix_web::test]
async fn an_undecided_access_request_expires_after_14_days() {
    let clock = Clock::take();
    let app = app().await;
    let owner = app.owner_token().await;
    let team = team(&app, &owner, "Red").await;
    let (_, token) = app.member(&owner, "late@example.com", "EMPLOYEE").await;
    let request = app
        .create(
            "/access-requests/",
            &token,
            json!({"role": "VIEWER", "team": team, "duration": 60, "reason": "Audit"}),
        )
        .await;
    let path = format!("/access-requests/{}/", request["id"].as_str().unwrap());
    clock.advance(chrono::Duration::days(14) + chrono::Duration::seconds(1));
    let read = app.get(&path, &owner).await;
    assert_eq!(read.body["status"], "EXPIRED", "{}", read.body);
    let late = app
        .post(&format!("{path}approve/"), &owner, json!({}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    assert_eq!(
        late.body["detail"],
        "This access request expired before it was decided."
    );
    let listed = app.get("/access-requests/?status=EXPIRED", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    let pending = app.get("/access-requests/?status=PENDING", &owner).await;
    assert_eq!(pending.body["count"], 0, "{}", pending.body);
    // A new request for the same role there is allowed again.
    let again = app
        .post(
            "/access-requests/",
            &token,
            json!({"role": "VIEWER", "team": team, "duration": 60, "reason": "Audit"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    drop(clock);
}
