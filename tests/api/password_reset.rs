//! `/auth/password_reset/`: always 204, a mailed single-use link, and the
//! confirmation that ends every earlier token.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, link_token, spawn_app, spawn_app_with,
};
use crate::smtp::{Mode, SmtpSink};

const NEW_PASSWORD: &str = "brand-new-pass-3";

async fn app_with_mail(
    sink: &SmtpSink,
    adjust: impl FnOnce(&mut tessera::config::Settings),
) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.mail_retry_delay_ms = 50;
        adjust(s);
    })
    .await
}

async fn request(app: &TestApp, email: &str) -> Reply {
    app.call(
        Method::POST,
        "/auth/password_reset/",
        None,
        Some(json!({ "email": email })),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> Reply {
    app.call(
        Method::POST,
        "/auth/password_reset/confirm/",
        None,
        Some(json!({"token": token, "password": password})),
    )
    .await
}

#[actix_web::test]
async fn the_reset_flow_sets_a_new_password_and_ends_old_tokens() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let app = app_with_mail(&sink, |_| {}).await;
    let owner = app.owner_token().await;
    let (_, member) = app
        .member(&owner, "forgetful@example.com", "EMPLOYEE")
        .await;

    // Unknown, API-user-free and known emails all get the same answer; only
    // the known one gets a mail.
    let unknown = request(&app, "nobody@example.com").await;
    assert_eq!(unknown.status, StatusCode::NO_CONTENT);
    assert_eq!(unknown.body, serde_json::Value::Null);
    let known = request(&app, "Forgetful@Example.com").await;
    assert_eq!(known.status, StatusCode::NO_CONTENT);
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["forgetful@example.com".to_owned()]);
    let link = mail.link("/auth/password_reset/confirm/");

    // The link opens a form.
    let path = &link[link.find("/auth/").unwrap()..];
    let page = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&link_token(&link)));

    let done = confirm(&app, &link_token(&link), NEW_PASSWORD).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    // Every earlier token is dead; the old password too.
    assert_eq!(
        app.get("/profile/", &member).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login("forgetful@example.com", PASSWORD)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.try_login("forgetful@example.com", NEW_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );

    // Single use.
    let again = confirm(&app, &link_token(&link), "yet-another-pass-4").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["token"][0], "This link is invalid.");
    // No mail went to the unknown address.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1);
}

#[actix_web::test]
async fn only_active_people_get_a_link() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let app = app_with_mail(&sink, |_| {}).await;
    let owner = app.owner_token().await;
    let (off, _) = app.member(&owner, "off@example.com", "EMPLOYEE").await;
    app.patch(&format!("/users/{off}/"), &owner, json!({"active": false}))
        .await;
    app.create(
        "/users/",
        &owner,
        json!({"email": "pending@example.com", "name": "P"}),
    )
    .await;

    assert_eq!(
        request(&app, "off@example.com").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        request(&app, "pending@example.com").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        request(&app, OWNER_EMAIL).await.status,
        StatusCode::NO_CONTENT
    );
    let mails = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, vec![OWNER_EMAIL.to_owned()]);
}

#[actix_web::test]
async fn a_link_dies_when_the_password_changes_another_way() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let app = app_with_mail(&sink, |_| {}).await;
    let owner = app.owner_token().await;
    request(&app, OWNER_EMAIL).await;
    let link = sink
        .wait_for(1)
        .await
        .remove(0)
        .link("/auth/password_reset/confirm/");
    let changed = app
        .post(
            "/profile/change_password/",
            &owner,
            json!({"current_password": OWNER_PASSWORD, "password": NEW_PASSWORD, "confpassword": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let stale = confirm(&app, &link_token(&link), "other-pass-55").await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert_eq!(stale.body["token"][0], "This link is invalid.");
}

#[actix_web::test]
async fn an_expired_reset_link_is_refused() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let app = app_with_mail(&sink, |s| s.mail.password_reset_ttl = 1).await;
    request(&app, OWNER_EMAIL).await;
    let link = sink
        .wait_for(1)
        .await
        .remove(0)
        .link("/auth/password_reset/confirm/");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = confirm(&app, &link_token(&link), NEW_PASSWORD).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.body["token"][0], "This link has expired.");
    assert_eq!(
        app.try_login(OWNER_EMAIL, OWNER_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn development_mode_sends_nothing_and_still_answers_204() {
    let app = spawn_app().await;
    let reply = request(&app, OWNER_EMAIL).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn reset_requests_are_validated_and_throttled() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    let missing = app
        .call(Method::POST, "/auth/password_reset/", None, Some(json!({})))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["email"][0], "This field is required.");
    let blank = request(&app, "  ").await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    let long = request(&app, &format!("{}@example.com", "a".repeat(300))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);

    for _ in 0..3 {
        assert_eq!(
            request(&app, "victim@example.com").await.status,
            StatusCode::NO_CONTENT
        );
    }
    let flood = request(&app, "victim@example.com").await;
    assert_eq!(flood.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(flood.headers.contains_key("retry-after"));
    // Resets are counted apart from logins.
    assert_eq!(
        app.try_login(OWNER_EMAIL, OWNER_PASSWORD).await.status,
        StatusCode::OK
    );

    let weak = confirm(&app, "whatever", "short").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body["password"][0].is_string());
    let none = app
        .call(
            Method::POST,
            "/auth/password_reset/confirm/",
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(none.body["token"][0], "This field is required.");
    assert_eq!(none.body["password"][0], "This field is required.");
    for _ in 0..3 {
        assert_eq!(
            confirm(&app, "forged", NEW_PASSWORD).await.status,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        confirm(&app, "forged-again", NEW_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
