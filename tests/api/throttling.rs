//! Login throttling (API.md §3): failed logins count per client address and
//! per account (known or not); past the limit, `/auth/obtain/` answers 429
//! with `Retry-After`, even to the right password.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, spawn_app_with};

const LIMIT: u32 = 3;

/// POST /auth/obtain/, optionally with an `X-Forwarded-For` header.
async fn obtain(app: &TestApp, email: &str, password: &str, forwarded_for: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/auth/obtain/"))
        .json(&json!({"username": email, "password": password}));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn fail(app: &TestApp, email: &str, forwarded_for: Option<&str>) {
    let reply = obtain(app, email, "wrong-pass-1", forwarded_for).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "a wrong password for {email}: {}",
        reply.body
    );
}

/// Asserts a 429 and returns its `Retry-After`.
fn assert_throttled(reply: &Reply, what: &str) -> u64 {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{what}: {}",
        reply.body
    );
    let wait: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=300).contains(&wait), "{what}: Retry-After {wait}");
    assert_eq!(
        reply.body,
        json!({"detail": format!("Request was throttled. Expected available in {wait} seconds.")}),
        "{what}"
    );
    wait
}

#[actix_web::test]
async fn failures_from_one_address_throttle_every_account_from_it() {
    let app = spawn_app_with(|s| s.login_max_failures = LIMIT).await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "ann@example.com", "EMPLOYEE")
        .await;

    // No trusted proxy: X-Forwarded-For is ignored, all of these come from 127.0.0.1.
    for i in 0..LIMIT {
        fail(&app, OWNER_EMAIL, Some(&format!("10.0.0.{i}"))).await;
    }
    let reply = obtain(&app, OWNER_EMAIL, OWNER_PASSWORD, None).await;
    assert_throttled(&reply, "the right password after the limit");
    let reply = obtain(&app, "ann@example.com", PASSWORD, Some("10.9.9.9")).await;
    assert_throttled(&reply, "another account from the same address");
    // Tokens already issued keep working.
    assert_eq!(app.get("/profile/", &owner).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn successes_do_not_count() {
    let app = spawn_app_with(|s| s.login_max_failures = LIMIT).await;
    for _ in 0..LIMIT + 2 {
        app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    }
    for _ in 0..LIMIT - 1 {
        fail(&app, OWNER_EMAIL, None).await;
    }
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    fail(&app, OWNER_EMAIL, None).await;
    let reply = obtain(&app, OWNER_EMAIL, OWNER_PASSWORD, None).await;
    assert_throttled(&reply, "the limit-th failure");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_failures_count_per_account_across_addresses() {
    let app = spawn_app_with(|s| {
        s.login_max_failures = LIMIT;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "ann@example.com", "EMPLOYEE")
        .await;

    for i in 0..LIMIT {
        fail(&app, OWNER_EMAIL, Some(&format!("203.0.113.{i}"))).await;
    }
    let reply = obtain(&app, OWNER_EMAIL, OWNER_PASSWORD, Some("198.51.100.7")).await;
    assert_throttled(&reply, "the account from a fresh address");
    let reply = obtain(
        &app,
        &OWNER_EMAIL.to_uppercase(),
        OWNER_PASSWORD,
        Some("198.51.100.8"),
    )
    .await;
    assert_throttled(&reply, "the account spelled in capitals");
    // Other accounts from other addresses are untouched…
    let reply = obtain(&app, "ann@example.com", PASSWORD, Some("198.51.100.9")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // …and the addresses are counted one by one.
    for _ in 0..LIMIT {
        fail(&app, "ann@example.com", Some("192.0.2.1")).await;
    }
    let reply = obtain(&app, "nobody@example.com", PASSWORD, Some("192.0.2.1")).await;
    assert_throttled(&reply, "the forwarded address");
}

#[actix_web::test]
async fn unknown_emails_are_throttled_like_known_ones() {
    let app = spawn_app_with(|s| {
        s.login_max_failures = LIMIT;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    for (i, email) in ["ghost@example.com", OWNER_EMAIL].into_iter().enumerate() {
        for j in 0..LIMIT {
            fail(&app, email, Some(&format!("198.18.{i}.{j}"))).await;
        }
        let reply = obtain(&app, email, "wrong-pass-1", Some(&format!("198.19.{i}.1"))).await;
        assert_throttled(&reply, email);
    }
}

#[actix_web::test]
async fn throttling_ends_when_the_failures_leave_the_window() {
    let app = spawn_app_with(|s| {
        s.login_max_failures = 2;
        s.login_window = 2;
    })
    .await;
    fail(&app, OWNER_EMAIL, None).await;
    fail(&app, OWNER_EMAIL, None).await;
    let reply = obtain(&app, OWNER_EMAIL, OWNER_PASSWORD, None).await;
    let wait = assert_throttled(&reply, "at the limit");
    assert!(wait <= 2, "Retry-After {wait} exceeds the window");
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
}
