//! `/invitations/`: invite → (mail) → accept → login, in development mode
//! and through a real SMTP conversation with a local sink.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, PASSWORD, TestApp, link_token, spawn_app, spawn_app_with};
use crate::smtp::{Mode, SmtpSink};

const NEW_PASSWORD: &str = "chosen-pass-7";

/// Starts the app sending mail to `sink`, with retries 50 ms apart.
async fn app_with_mail(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.mail_from = "Tessera <no-reply@tessera.test>".into();
        s.mail.public_url = Some("https://users.example.com".into());
        s.mail.mail_retry_delay_ms = 50;
        s.mail.mail_attempts = 3;
    })
    .await
}

/// A PENDING user (no password): its id.
async fn pending_user(app: &TestApp, token: &str, email: &str) -> String {
    let user = app
        .create("/users/", token, json!({"email": email, "name": "Invitee"}))
        .await;
    assert_eq!(user["state"], "PENDING");
    user["id"].as_str().unwrap().to_owned()
}

/// A PENDING user who will be an OWNER: the whole user, as created.
async fn pending_owner(app: &TestApp, token: &str) -> Value {
    app.create(
        "/users/",
        token,
        json!({"email": "co-owner@example.com", "name": "Co Owner",
               "user_roles": [{"role": "OWNER", "scope": {"tier": "account"}}]}),
    )
    .await
}

async fn accept(app: &TestApp, token: &str, password: &str) -> crate::helpers::Reply {
    app.call(
        Method::POST,
        "/invitations/accept/",
        None,
        Some(json!({"token": token, "password": password})),
    )
    .await
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.try_login(email, password).await.status
}

/// Polls an invitation until its mail is no longer QUEUED.
async fn settled_mail(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let got = app.get(&format!("/invitations/{id}/"), token).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        if got.body["mail_status"] != "QUEUED" {
            return got.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the invitation's mail stayed QUEUED");
}

#[actix_web::test]
async fn development_mode_returns_the_link_once_and_the_invitee_joins() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "new@example.com").await;

    let invited = app.post("/invitations/", &owner, json!({"user": id})).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let body = &invited.body;
    assert_eq!(body["user"]["id"], id.as_str());
    assert_eq!(body["user"]["email"], "new@example.com");
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["mail_status"], "DISABLED");
    assert_eq!(body["accepted"], Value::Null);
    assert_eq!(body["changed_by"]["email"], OWNER_EMAIL);
    let link = body["link"].as_str().expect("a link in development mode");
    assert!(
        link.starts_with(&format!("{}/invitations/accept/?token=", app.address)),
        "{link}"
    );
    let location = invited.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/invitations/{}/", body["id"].as_str().unwrap())
    );

    // The link is never shown again.
    let listed = app.get("/invitations/", &owner).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["count"], 1);
    let item = &listed.body["results"][0];
    assert!(
        item.get("link").is_none() && item.get("token").is_none(),
        "{item}"
    );
    let one = app.get(&location, &owner).await;
    assert!(one.body.get("link").is_none(), "{}", one.body);

    assert_eq!(
        login_status(&app, "new@example.com", NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST
    );
    let accepted = accept(&app, &link_token(link), NEW_PASSWORD).await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    assert_eq!(
        login_status(&app, "new@example.com", NEW_PASSWORD).await,
        StatusCode::OK
    );

    let user = app.get(&format!("/users/{id}/"), &owner).await.body;
    assert_eq!(user["state"], "ACTIVE");
    // The invitee set its own password: it is the author of that change.
    assert_eq!(user["changed_by"]["id"], id.as_str());
    let invitation = app.get(&location, &owner).await.body;
    assert_eq!(invitation["status"], "ACCEPTED");
    assert!(invitation["accepted"].is_string());

    // Single use.
    let again = accept(&app, &link_token(link), "another-pass-8").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["token"][0], "This link has already been used.");
}

#[actix_web::test]
async fn a_real_mail_carries_a_working_link() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let app = app_with_mail(&sink).await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "mailed@example.com").await;

    let invited = app.post("/invitations/", &owner, json!({"user": id})).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    assert!(
        invited.body.get("link").is_none(),
        "mail on: no link in the answer"
    );
    assert_eq!(invited.body["mail_status"], "QUEUED");

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["mailed@example.com".to_owned()]);
    assert!(
        mail.header("From")
            .unwrap()
            .contains("no-reply@tessera.test")
    );
    assert!(
        mail.header("Subject").unwrap().contains("Acme"),
        "{:?}",
        mail.header("Subject")
    );
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    let link = mail.link("/invitations/accept/");
    assert!(
        link.starts_with("https://users.example.com/invitations/accept/?token="),
        "{link}"
    );

    // The link opens a page (served here under the public URL's path).
    let path = link.trim_start_matches("https://users.example.com");
    let page = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&link_token(&link)),
        "the form carries the token"
    );

    let invitation_id = invited.body["id"].as_str().unwrap();
    let settled = settled_mail(&app, &owner, invitation_id).await;
    assert_eq!(settled["mail_status"], "SENT");
    assert_eq!(settled["mail_error"], Value::Null);

    let accepted = accept(&app, &link_token(&link), NEW_PASSWORD).await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    assert_eq!(
        login_status(&app, "mailed@example.com", NEW_PASSWORD).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn delivery_is_retried_and_a_final_failure_is_visible() {
    let flaky = SmtpSink::start(Mode::FailFirst(2)).await;
    let app = app_with_mail(&flaky).await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "retry@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let settled = settled_mail(&app, &owner, invited["id"].as_str().unwrap()).await;
    assert_eq!(settled["mail_status"], "SENT", "{settled}");
    assert_eq!(flaky.refused(), 2);
    assert_eq!(flaky.messages().len(), 1);

    let refusing = SmtpSink::start(Mode::Reject).await;
    let app = app_with_mail(&refusing).await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "bounce@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let settled = settled_mail(&app, &owner, invited["id"].as_str().unwrap()).await;
    assert_eq!(settled["mail_status"], "FAILED", "{settled}");
    assert!(
        settled["mail_error"].as_str().unwrap().contains("550"),
        "{settled}"
    );
    // A permanent refusal is not retried.
    assert_eq!(refusing.refused(), 1);
}

#[actix_web::test]
async fn an_unreachable_mail_server_ends_in_failed() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_app_with(move |s| {
        s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.mail.mail_retry_delay_ms = 10;
        s.mail.mail_attempts = 2;
    })
    .await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "nowhere@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let settled = settled_mail(&app, &owner, invited["id"].as_str().unwrap()).await;
    assert_eq!(settled["mail_status"], "FAILED", "{settled}");
    assert!(
        settled["mail_error"]
            .as_str()
            .unwrap()
            .contains("2 attempts"),
        "{settled}"
    );
}

#[actix_web::test]
async fn a_new_invitation_supersedes_the_old_one() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "twice@example.com").await;
    let first = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let second = app
        .create("/invitations/", &owner, json!({"user": {"id": id}}))
        .await;

    let old = accept(
        &app,
        &link_token(first["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        old.body["token"][0],
        "This invitation was replaced by a newer one."
    );
    let first_now = app
        .get(
            &format!("/invitations/{}/", first["id"].as_str().unwrap()),
            &owner,
        )
        .await
        .body;
    assert_eq!(first_now["status"], "SUPERSEDED");

    let new = accept(
        &app,
        &link_token(second["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(new.status, StatusCode::NO_CONTENT, "{}", new.body);
}

#[actix_web::test]
async fn an_expired_link_is_refused() {
    let app = spawn_app_with(|s| s.mail.invitation_ttl = 1).await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "late@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = accept(
        &app,
        &link_token(invited["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.body["token"][0], "This link has expired.");
    let listed = app.get("/invitations/?status=EXPIRED", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    let user = app.get(&format!("/users/{id}/"), &owner).await.body;
    assert_eq!(user["state"], "PENDING");
}

#[actix_web::test]
async fn a_deactivated_user_is_invited_back_to_pending() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, member) = app.member(&owner, "gone@example.com", "EMPLOYEE").await;
    let key = app
        .create("/keys/", &member, json!({"name": "laptop"}))
        .await;
    let key = key["key"].as_str().unwrap().to_owned();
    let off = app
        .patch(&format!("/users/{id}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(off.status, StatusCode::OK);

    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let user = app.get(&format!("/users/{id}/"), &owner).await.body;
    assert_eq!(user["state"], "PENDING");
    assert_eq!(user["active"], true);
    // The old password and keys are gone for good.
    assert_eq!(
        login_status(&app, "gone@example.com", PASSWORD).await,
        StatusCode::BAD_REQUEST
    );
    let with_key = app
        .client
        .get(app.url("/profile/"))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), StatusCode::UNAUTHORIZED);

    let accepted = accept(
        &app,
        &link_token(invited["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    assert_eq!(
        login_status(&app, "gone@example.com", NEW_PASSWORD).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_link_dies_when_the_user_changes_state_meanwhile() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "changed@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let off = app
        .patch(&format!("/users/{id}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    let refused = accept(
        &app,
        &link_token(invited["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["token"][0], "This link is invalid.");
    let user = app.get(&format!("/users/{id}/"), &owner).await.body;
    assert_eq!(user["state"], "DEACTIVATED");
}

#[actix_web::test]
async fn invitations_are_validated() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (active, _) = app.member(&owner, "active@example.com", "EMPLOYEE").await;

    let missing = app.post("/invitations/", &owner, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["user"][0], "This field is required.");
    let null = app
        .post("/invitations/", &owner, json!({"user": null}))
        .await;
    assert_eq!(null.body["user"][0], "This field may not be null.");
    let wrong_type = app
        .post("/invitations/", &owner, json!({"user": [1]}))
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    let unknown = app
        .post("/invitations/", &owner, json!({"user": "111111111111"}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.body["user"][0],
        "Invalid pk \"111111111111\" - object does not exist."
    );
    let garbage = app
        .post("/invitations/", &owner, json!({"user": "no'; DROP"}))
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let is_active = app
        .post("/invitations/", &owner, json!({"user": active}))
        .await;
    assert_eq!(is_active.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        is_active.body["user"][0],
        "Only a PENDING or DEACTIVATED user can be invited."
    );
    // API users have no password to choose: not a person that can be invited.
    let api_user = app
        .create(
            "/api-users/",
            &owner,
            json!({"name": "ci-bot", "email": "ci-bot@example.com"}),
        )
        .await;
    let bot = app
        .post("/invitations/", &owner, json!({"user": api_user["id"]}))
        .await;
    assert_eq!(bot.status, StatusCode::BAD_REQUEST, "{}", bot.body);

    let id = pending_user(&app, &owner, "valid@example.com").await;
    let token = link_token(
        app.create("/invitations/", &owner, json!({"user": id}))
            .await["link"]
            .as_str()
            .unwrap(),
    );
    let weak = accept(&app, &token, "short").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(
        weak.body["password"][0]
            .as_str()
            .unwrap()
            .contains("too short")
    );
    let no_fields = app
        .call(Method::POST, "/invitations/accept/", None, Some(json!({})))
        .await;
    assert_eq!(no_fields.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_fields.body["token"][0], "This field is required.");
    assert_eq!(no_fields.body["password"][0], "This field is required.");
    let forged = accept(&app, "not-a-real-token", NEW_PASSWORD).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(forged.body["token"][0], "This link is invalid.");
    let huge = accept(&app, &"x".repeat(5000), NEW_PASSWORD).await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
    // None of that used the real link up.
    assert_eq!(
        accept(&app, &token, NEW_PASSWORD).await.status,
        StatusCode::NO_CONTENT
    );
}

#[actix_web::test]
async fn invitations_need_permission_and_stay_in_their_organization() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = pending_user(&app, &owner, "target@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let path = format!("/invitations/{}/", invited["id"].as_str().unwrap());

    // 401 without credentials.
    for (method, p) in [
        (Method::GET, "/invitations/"),
        (Method::POST, "/invitations/"),
        (Method::GET, path.as_str()),
    ] {
        let reply = app.call(method, p, None, Some(json!({"user": id}))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{p}");
    }
    // An EMPLOYEE or a VIEWER can neither invite nor see invitations; an ADMIN can.
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;
    let (_, viewer) = app.member(&owner, "viewer@example.com", "VIEWER").await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    assert_eq!(
        app.post("/invitations/", &employee, json!({"user": id}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Authorization comes before validation.
    assert_eq!(
        app.post("/invitations/", &employee, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/invitations/", &employee).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/invitations/", &viewer, json!({"user": id}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/invitations/", &viewer).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&path, &viewer).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, &admin).await.status, StatusCode::OK);
    let by_admin = app.post("/invitations/", &admin, json!({"user": id})).await;
    assert_eq!(by_admin.status, StatusCode::CREATED, "{}", by_admin.body);

    // Another organization sees none of it, and cannot invite this user.
    let other = app.second_organization("other-owner@example.com").await;
    let theirs = app.get("/invitations/", &other).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["count"], 0);
    assert_eq!(app.get(&path, &other).await.status, StatusCode::NOT_FOUND);
    let cross = app.post("/invitations/", &other, json!({"user": id})).await;
    assert_eq!(cross.status, StatusCode::BAD_REQUEST);
    assert!(
        cross.body["user"][0]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );

    assert_eq!(
        app.get("/invitations/2222222222222/", &owner).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/invitations/nope/", &owner).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn an_owner_is_invited_only_by_whoever_may_grant_ownership() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let pending_owner = pending_owner(&app, &owner).await;
    let denied = app
        .post(
            "/invitations/",
            &admin,
            json!({"user": pending_owner["id"]}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let allowed = app
        .post(
            "/invitations/",
            &owner,
            json!({"user": pending_owner["id"]}),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn invitation_lists_filter_and_page() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let a = pending_user(&app, &owner, "a@example.com").await;
    let b = pending_user(&app, &owner, "b@example.com").await;
    let first = app
        .create("/invitations/", &owner, json!({"user": a}))
        .await;
    app.create("/invitations/", &owner, json!({"user": a}))
        .await;
    app.create("/invitations/", &owner, json!({"user": b}))
        .await;
    accept(
        &app,
        &link_token(first["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;

    let all = app.get("/invitations/", &owner).await.body;
    assert_eq!(all["count"], 3);
    // Newest first.
    assert_eq!(all["results"][0]["user"]["id"], b.as_str());
    let of_a = app
        .get(&format!("/invitations/?user={a}"), &owner)
        .await
        .body;
    assert_eq!(of_a["count"], 2);
    let pending = app.get("/invitations/?status=pending", &owner).await.body;
    assert_eq!(pending["count"], 2, "{pending}");
    let superseded = app
        .get("/invitations/?status=SUPERSEDED", &owner)
        .await
        .body;
    assert_eq!(superseded["count"], 1);
    let paged = app.get("/invitations/?length=2&page=2", &owner).await.body;
    assert_eq!(paged["results"].as_array().unwrap().len(), 1);
    assert_eq!(paged["page_total"], 2);

    let bad = app.get("/invitations/?status=OPEN&user=!!", &owner).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["status"][0].is_string() && bad.body["user"][0].is_string());
    assert_eq!(
        app.get("/invitations/?page=9", &owner).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn wrong_tokens_are_throttled() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    for _ in 0..3 {
        let wrong = accept(&app, "wrong-token", NEW_PASSWORD).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    }
    let throttled = accept(&app, "another-wrong-token", NEW_PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    // Logins from the same address are counted apart.
    assert_eq!(
        login_status(&app, OWNER_EMAIL, crate::helpers::OWNER_PASSWORD).await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_pending_invitation_is_revoked_and_its_link_dies() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let user = pending_user(&app, &owner, "taken-back@example.com").await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": user}))
        .await;
    let id = invited["id"].as_str().unwrap().to_owned();
    let path = format!("/invitations/{id}/revoke/");

    let unauthenticated = app.call(Method::POST, &path, None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;
    let forbidden = app.post(&path, &employee, json!({})).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    for missing in [
        "/invitations/1111111111111/revoke/",
        "/invitations/nope/revoke/",
    ] {
        let reply = app.post(missing, &owner, json!({})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
    }
    // Another organization's OWNER finds nothing here.
    let other = app.second_organization("other-owner@example.com").await;
    let elsewhere = app.post(&path, &other, json!({})).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

    let revoked = app.post(&path, &owner, json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "REVOKED");
    assert!(revoked.body["revoked"].is_string(), "{}", revoked.body);
    let link = accept(
        &app,
        &link_token(invited["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(link.status, StatusCode::BAD_REQUEST);
    assert_eq!(link.body["token"][0], "This invitation was revoked.");
    let person = app.get(&format!("/users/{user}/"), &owner).await;
    assert_eq!(person.body["state"], "PENDING");
    let listed = app.get("/invitations/?status=REVOKED", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    let pending = app.get("/invitations/?status=PENDING", &owner).await;
    assert_eq!(pending.body["count"], 0, "{}", pending.body);
    let events = app
        .get("/audit-events/?action=invitation.revoked", &owner)
        .await;
    assert_eq!(events.body["count"], 1, "{}", events.body);

    // Once is enough: a revoked, accepted or replaced invitation stays as it is.
    let again = app.post(&path, &owner, json!({})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body["non_field_errors"][0],
        "Only a PENDING invitation can be revoked."
    );
    let fresh = app
        .create("/invitations/", &owner, json!({"user": user}))
        .await;
    let joined = accept(
        &app,
        &link_token(fresh["link"].as_str().unwrap()),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(joined.status, StatusCode::NO_CONTENT, "{}", joined.body);
    let accepted = app
        .post(
            &format!("/invitations/{}/revoke/", fresh["id"].as_str().unwrap()),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn only_whoever_may_invite_someone_revokes_their_invitation() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let pending_owner = pending_owner(&app, &owner).await;
    let invited = app
        .create(
            "/invitations/",
            &owner,
            json!({"user": pending_owner["id"]}),
        )
        .await;
    let path = format!("/invitations/{}/revoke/", invited["id"].as_str().unwrap());
    // An ADMIN lacks what an OWNER holds: it may not take the invitation back.
    let denied = app.post(&path, &admin, json!({})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let allowed = app.post(&path, &owner, json!({})).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
}
