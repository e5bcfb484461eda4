//! Login throttling (API.md §3): failed logins count per client address and
//! per account (known or not); past the limit, `/auth/obtain/` answers 429
//! with `Retry-After`, even to the right password. Guesses sent at the same
//! moment are counted as they arrive, before any is judged, so a burst
//! never gets more than the limit judged: at logins, at link tokens and at
//! the current password of `/profile/change_password/`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, link_token, spawn_app_with,
};
use crate::smtp::{Mode, SmtpSink};

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

// ---------------------------------------------------------------- bursts

/// The limit of the burst tests, and how many wrong guesses a burst holds
/// (with one right guess among them).
const BURST_LIMIT: u32 = 10;
const BURST_WRONG: usize = 39;

/// How many answers had each status.
fn tally(replies: &[Reply]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for reply in replies {
        *counts.entry(reply.status.as_u16()).or_default() += 1;
    }
    counts
}

/// At most `BURST_LIMIT` guesses got past the throttle and were judged
/// wrong (400); every other answer is a 429 with `Retry-After`, or one of
/// `also` (the right guess's answer, at most once, or what a request met
/// after it); returns the tally.
fn assert_burst_held(replies: &[Reply], also: &[StatusCode], what: &str) -> BTreeMap<u16, usize> {
    let counts = tally(replies);
    let judged_wrong = counts.get(&400).copied().unwrap_or(0);
    assert!(
        judged_wrong <= BURST_LIMIT as usize,
        "{what}: {judged_wrong} wrong guesses were judged with a limit of {BURST_LIMIT}: {counts:?}"
    );
    assert!(
        judged_wrong > 0,
        "{what}: no guess was judged at all: {counts:?}"
    );
    for reply in replies {
        match reply.status {
            StatusCode::BAD_REQUEST => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(
                    reply.header("retry-after").is_some(),
                    "{what}: {}",
                    reply.body
                );
            }
            status => assert!(also.contains(&status), "{what}: {status} {}", reply.body),
        }
    }
    counts
}

#[actix_web::test]
async fn a_burst_of_wrong_passwords_gets_no_more_than_the_limit_judged() {
    let app = spawn_app_with(|s| s.login_max_failures = BURST_LIMIT).await;
    let attempts = (0..=BURST_WRONG).map(|i| {
        let password = if i == BURST_WRONG / 2 {
            OWNER_PASSWORD
        } else {
            "wrong-pass-1"
        };
        obtain(&app, OWNER_EMAIL, password, None)
    });
    let replies = join_all(attempts).await;
    let counts = assert_burst_held(&replies, &[StatusCode::OK], "logins");
    assert!(counts.get(&200).copied().unwrap_or(0) <= 1, "{counts:?}");
    // The wrong guesses stay counted; the right one was forgiven (while it
    // was being checked it held a place, which may have throttled a guess).
    let reply = obtain(&app, OWNER_EMAIL, OWNER_PASSWORD, None).await;
    if counts.get(&400) == Some(&(BURST_LIMIT as usize)) {
        assert_throttled(&reply, "the right password after a full burst");
    } else {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}

/// POSTs a link token and a new password to `path`, from `address` (the
/// app trusts 127.0.0.1 as a proxy).
async fn use_link(app: &TestApp, path: &str, token: &str, address: &str) -> Reply {
    let request = app
        .client
        .post(app.url(path))
        .header("X-Forwarded-For", address)
        .json(&json!({"token": token, "password": "chosen-pass-7"}));
    Reply::from(request.send().await.expect("request sent")).await
}

/// A burst of wrong link tokens with the right one among them, from one
/// address: no more than the limit are looked up.
async fn link_burst(app: &TestApp, path: &str, right: &str, address: &str) {
    let wrong: Vec<String> = (0..BURST_WRONG)
        .map(|i| format!("{i}-no-such-token-{}", "x".repeat(30)))
        .collect();
    let tokens = wrong
        .iter()
        .map(String::as_str)
        .take(BURST_WRONG / 2)
        .chain([right])
        .chain(wrong.iter().map(String::as_str).skip(BURST_WRONG / 2));
    let replies = join_all(tokens.map(|token| use_link(app, path, token, address))).await;
    let counts = assert_burst_held(&replies, &[StatusCode::NO_CONTENT], path);
    assert!(counts.get(&204).copied().unwrap_or(0) <= 1, "{counts:?}");
    for reply in replies
        .iter()
        .filter(|r| r.status == StatusCode::BAD_REQUEST)
    {
        assert_eq!(reply.body["token"][0], "This link is invalid.", "{path}");
    }
}

#[actix_web::test]
async fn a_burst_of_wrong_link_tokens_gets_no_more_than_the_limit_looked_up() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.login_max_failures = BURST_LIMIT;
        s.trusted_proxies = vec!["127.0.0.1".into()];
        s.mail.smtp_url = Some(url);
        s.mail.mail_retry_delay_ms = 50;
    })
    .await;
    let owner = app.owner_token().await;
    let invitee = app
        .create(
            "/users/",
            &owner,
            json!({"email": "invitee@example.com", "name": "Invitee"}),
        )
        .await;
    app.create("/invitations/", &owner, json!({"user": invitee["id"]}))
        .await;
    app.create_member(&owner, "forgetful@example.com", "EMPLOYEE")
        .await;
    let reset = app
        .call(
            Method::POST,
            "/auth/password_reset/",
            None,
            Some(json!({"email": "forgetful@example.com"})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    let mails = sink.wait_for(2).await;
    let link_to = |path: &str| {
        mails
            .iter()
            .find(|m| m.data.contains(path))
            .map(|m| link_token(&m.link(path)))
            .unwrap_or_else(|| panic!("no mail links to {path}"))
    };

    // Each burst from its own address: links count per address.
    let accept = link_to("/invitations/accept/");
    link_burst(&app, "/invitations/accept/", &accept, "203.0.113.1").await;
    let confirm = link_to("/auth/password_reset/confirm/");
    link_burst(
        &app,
        "/auth/password_reset/confirm/",
        &confirm,
        "203.0.113.2",
    )
    .await;
}

#[actix_web::test]
async fn a_burst_of_wrong_current_passwords_gets_no_more_than_the_limit_checked() {
    let app = spawn_app_with(|s| s.login_max_failures = BURST_LIMIT).await;
    let owner = app.owner_token().await;
    let (_, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let attempts = (0..=BURST_WRONG).map(|i| {
        let current = if i == BURST_WRONG / 2 {
            PASSWORD
        } else {
            "wrong-pass-1"
        };
        app.post(
            "/profile/change_password/",
            &member,
            json!({"current_password": current, "password": "brand-new-pass-2",
                   "confpassword": "brand-new-pass-2"}),
        )
    });
    let replies = join_all(attempts).await;
    // A request authenticated after the right one changed the password
    // meets a dead token (401): it never reached the check either.
    let counts = assert_burst_held(
        &replies,
        &[StatusCode::NO_CONTENT, StatusCode::UNAUTHORIZED],
        "password changes",
    );
    assert!(counts.get(&204).copied().unwrap_or(0) <= 1, "{counts:?}");
    for reply in replies
        .iter()
        .filter(|r| r.status == StatusCode::BAD_REQUEST)
    {
        assert_eq!(
            reply.body,
            json!({"current_password": ["The current password is wrong."]})
        );
    }
}

#[actix_web::test]
async fn wrong_current_passwords_count_as_failed_logins_of_the_account() {
    let app = spawn_app_with(|s| s.login_max_failures = LIMIT).await;
    let owner = app.owner_token().await;
    let (_, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let change = |current: &'static str| {
        app.post(
            "/profile/change_password/",
            &member,
            json!({"current_password": current, "password": "brand-new-pass-2",
                   "confpassword": "brand-new-pass-2"}),
        )
    };
    for _ in 0..LIMIT - 1 {
        let reply = change("wrong-pass-1").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    }
    fail(&app, "dev@example.com", None).await;
    assert_throttled(&change(PASSWORD).await, "the right current password");
    assert_throttled(
        &obtain(&app, "dev@example.com", PASSWORD, None).await,
        "a login of the account",
    );
}
