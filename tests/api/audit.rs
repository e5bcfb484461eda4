//! `/audit-events/`: every write and authentication event, with its diff,
//! actor and request context; filters; permissions; retention.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::mfa::{code, usable_step};

/// The events matching `query` (newest first), as JSON.
async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/audit-events/?length=100&{query}"), token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.body["results"].as_array().unwrap().clone()
}

/// The only event of `action` about `object_id`.
async fn one(app: &TestApp, token: &str, action: &str, object_id: &str) -> Value {
    let found = events(
        app,
        token,
        &format!("action={action}&object_id={object_id}"),
    )
    .await;
    assert_eq!(found.len(), 1, "{action} on {object_id}: {found:?}");
    found.into_iter().next().unwrap()
}

#[actix_web::test]
async fn user_writes_are_recorded_with_their_diff_actor_and_request() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let created = app
        .client
        .post(app.url("/users/"))
        .header("Authorization", format!("JWT {owner}"))
        .header("X-Request-Id", "req-create-1")
        .header("User-Agent", "audit-test/1.0")
        .json(&json!({"email": "jane@example.com", "name": "Jane", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let event = one(&app, &owner, "user.created", &id).await;
    assert_eq!(event["object"], json!({"type": "user", "id": id}));
    assert_eq!(event["actor"]["type"], "user");
    assert_eq!(event["actor"]["email"], OWNER_EMAIL);
    assert_eq!(event["request_id"], "req-create-1");
    assert_eq!(event["user_agent"], "audit-test/1.0");
    assert_eq!(event["client_address"], "127.0.0.1");
    assert_eq!(event["interface"], "rest");
    assert_eq!(
        event["changes"]["email"],
        json!({"before": null, "after": "jane@example.com"})
    );
    assert_eq!(
        event["changes"]["user_roles"]["after"][0]["role"],
        "EMPLOYEE"
    );
    // Never a secret or a hash.
    let text = event.to_string();
    assert!(
        !text.contains(PASSWORD) && !text.contains("argon2"),
        "{text}"
    );

    let patched = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"name": "Jane Smith", "title": "ceo"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    let updated = one(&app, &owner, "user.updated", &id).await;
    assert_eq!(
        updated["changes"],
        json!({
            "name": {"before": "Jane", "after": "Jane Smith"},
            "title": {"before": "", "after": "ceo"},
        })
    );

    let new_password = "another-pass-9";
    app.patch(
        &format!("/users/{id}/"),
        &owner,
        json!({"password": new_password}),
    )
    .await;
    let all_updates = events(&app, &owner, &format!("action=user.updated&object_id={id}")).await;
    assert_eq!(all_updates[0]["changes"]["password"]["after"], "(changed)");
    assert!(!all_updates[0].to_string().contains(new_password));

    app.patch(&format!("/users/{id}/"), &owner, json!({"active": false}))
        .await;
    let off = one(&app, &owner, "user.deactivated", &id).await;
    assert_eq!(
        off["changes"]["active"],
        json!({"before": true, "after": false})
    );

    assert_eq!(
        app.delete(&format!("/users/{id}/"), &owner).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = one(&app, &owner, "user.deleted", &id).await;
    assert_eq!(
        gone["changes"]["email"],
        json!({"before": "jane@example.com", "after": null})
    );

    // The whole story of one object, oldest first.
    let story = events(&app, &owner, &format!("object_id={id}&ordering=occurred")).await;
    let actions: Vec<&str> = story
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.created",
            "user.updated",
            "user.updated",
            "user.deactivated",
            "user.deleted"
        ]
    );
}

#[actix_web::test]
async fn a_rolled_back_write_leaves_no_event() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let before = events(&app, &owner, "").await.len();
    let duplicate = app
        .post(
            "/users/",
            &owner,
            json!({"email": OWNER_EMAIL, "name": "Twin"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    // The last owner cannot be deactivated: the write is refused after the fact.
    let owner_id = app.get("/profile/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .patch(
            &format!("/users/{owner_id}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(events(&app, &owner, "").await.len(), before);
}

#[actix_web::test]
async fn every_resource_and_authentication_event_is_recorded() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;

    let label = app
        .create("/labels/users/", &owner, json!({"name": "vip"}))
        .await;
    let label_id = label["id"].as_str().unwrap();
    app.patch(
        &format!("/labels/users/{label_id}/"),
        &owner,
        json!({"color": "#ff0000"}),
    )
    .await;
    app.delete(&format!("/labels/users/{label_id}/"), &owner)
        .await;
    assert_eq!(
        one(&app, &owner, "label.updated", label_id).await["changes"],
        json!({"color": {"before": "", "after": "#ff0000"}})
    );
    one(&app, &owner, "label.created", label_id).await;
    one(&app, &owner, "label.deleted", label_id).await;

    let team = app.create("/teams/", &owner, json!({"name": "Blue"})).await;
    let team_id = team["id"].as_str().unwrap();
    app.patch(
        &format!("/teams/{team_id}/"),
        &owner,
        json!({"name": "Red"}),
    )
    .await;
    let target = app
        .create(
            "/targets/",
            &owner,
            json!({"name": "site", "url": "https://a.example.com", "teams": [team_id]}),
        )
        .await;
    let target_id = target["id"].as_str().unwrap();
    app.patch(
        &format!("/targets/{target_id}/"),
        &owner,
        json!({"teams": []}),
    )
    .await;
    app.delete(&format!("/targets/{target_id}/"), &owner).await;
    app.delete(&format!("/teams/{team_id}/"), &owner).await;
    assert_eq!(
        one(&app, &owner, "target.updated", target_id).await["changes"],
        json!({"teams": {"before": [team_id], "after": []}})
    );
    for (action, id) in [
        ("team.created", team_id),
        ("team.updated", team_id),
        ("team.deleted", team_id),
        ("target.created", target_id),
        ("target.deleted", target_id),
    ] {
        one(&app, &owner, action, id).await;
    }

    let role = app
        .create(
            "/roles/",
            &owner,
            json!({"name": "Helpdesk", "permissions": ["users.view"]}),
        )
        .await;
    let role_id = role["id"].as_str().unwrap();
    app.patch(
        &format!("/roles/{role_id}/"),
        &owner,
        json!({"permissions": ["users.view", "users.manage"]}),
    )
    .await;
    app.delete(&format!("/roles/{role_id}/"), &owner).await;
    assert_eq!(
        one(&app, &owner, "role.updated", role_id).await["changes"]["permissions"]["after"],
        json!(["users.manage", "users.view"])
    );
    one(&app, &owner, "role.created", role_id).await;
    one(&app, &owner, "role.deleted", role_id).await;

    let key = app
        .create("/keys/", &owner, json!({"name": "laptop"}))
        .await;
    let key_id = key["id"].as_str().unwrap();
    let secret = key["key"].as_str().unwrap();
    app.delete(&format!("/keys/{key_id}/"), &owner).await;
    let created_key = one(&app, &owner, "key.created", key_id).await;
    assert!(
        !created_key.to_string().contains(secret),
        "the key's secret is never recorded"
    );
    one(&app, &owner, "key.revoked", key_id).await;

    let org = app.get("/account/", &owner).await.body;
    let org_id = org["id"].as_str().unwrap();
    app.patch("/account/", &owner, json!({"name": "Acme Corp"}))
        .await;
    assert_eq!(
        one(&app, &owner, "organization.updated", org_id).await["changes"],
        json!({"name": {"before": "Acme", "after": "Acme Corp"}})
    );
    // The first start created the organization and its owner, as System.
    let bootstrapped = one(&app, &owner, "organization.created", org_id).await;
    assert_eq!(bootstrapped["actor"]["type"], "system");
    assert_eq!(bootstrapped["interface"], "cli");

    // Authentication: a failed and a successful login, a revoked token, a
    // password change, MFA on and off.
    let (member_id, member) = app.member(&owner, "mia@example.com", "EMPLOYEE").await;
    let wrong = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": "mia@example.com", "password": "wrong-pass-1"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let failed = one(&app, &owner, "auth.login_failed", &member_id).await;
    assert_eq!(failed["actor"]["type"], "anonymous");
    assert!(!failed.to_string().contains("wrong-pass-1"));
    let logins = events(
        &app,
        &owner,
        &format!("action=auth.login&actor={member_id}"),
    )
    .await;
    assert_eq!(logins.len(), 1, "member() logged in once");

    let revoked = app
        .call(
            Method::POST,
            "/auth/revoke/",
            None,
            Some(json!({"token": member})),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let revocation = events(
        &app,
        &owner,
        &format!("action=auth.token_revoked&actor={member_id}"),
    )
    .await;
    assert_eq!(revocation.len(), 1);

    let member = app.login("mia@example.com", PASSWORD).await;
    let changed = app
        .post(
            "/profile/change_password/",
            &member,
            json!({"current_password": PASSWORD, "password": "mia-new-pass-2", "confpassword": "mia-new-pass-2"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    let change = one(&app, &owner, "user.password_changed", &member_id).await;
    assert_eq!(change["actor"]["id"], member_id.as_str());
    assert!(!change.to_string().contains("mia-new-pass-2"));

    let member = app.login("mia@example.com", "mia-new-pass-2").await;
    let enrolled = app.post("/profile/mfa/", &member, json!({})).await;
    let secret = enrolled.body["secret"].as_str().unwrap().to_owned();
    let step = usable_step(None).await;
    let on = app
        .post(
            "/profile/mfa/confirm/",
            &member,
            json!({"otp": code(&secret, step)}),
        )
        .await;
    assert_eq!(on.status, StatusCode::NO_CONTENT, "{}", on.body);
    // Turning MFA on ended the member's tokens: it logs in again with a code.
    let step = usable_step(Some(step)).await;
    let login = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(
                json!({"username": "mia@example.com", "password": "mia-new-pass-2",
                        "otp": code(&secret, step)}),
            ),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let member = login.body["token"].as_str().unwrap().to_owned();
    let step = usable_step(Some(step)).await;
    let off = app
        .call(
            Method::DELETE,
            "/profile/mfa/",
            Some(&member),
            Some(json!({"otp": code(&secret, step)})),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.body);
    for action in [
        "user.mfa_enrollment_started",
        "user.mfa_enabled",
        "user.mfa_disabled",
    ] {
        let event = one(&app, &owner, action, &member_id).await;
        assert!(
            !event.to_string().contains(&secret),
            "the TOTP secret is never recorded"
        );
    }
}

#[actix_web::test]
async fn invitations_and_resets_are_recorded() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let user = app
        .create(
            "/users/",
            &owner,
            json!({"email": "inv@example.com", "name": "Inv"}),
        )
        .await;
    let user_id = user["id"].as_str().unwrap();
    let invited = app
        .create("/invitations/", &owner, json!({"user": user_id}))
        .await;
    let invitation_id = invited["id"].as_str().unwrap();
    let token = invited["link"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    let accepted = app
        .call(
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": token, "password": "inv-pass-123"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT);
    let created = one(&app, &owner, "invitation.created", invitation_id).await;
    assert_eq!(created["changes"]["user"]["after"], user_id);
    let accepted = one(&app, &owner, "invitation.accepted", invitation_id).await;
    assert_eq!(accepted["actor"]["id"], user_id);
    assert!(!accepted.to_string().contains(token));

    let reset = app
        .call(
            Method::POST,
            "/auth/password_reset/",
            None,
            Some(json!({"email": "inv@example.com"})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    let requested = one(&app, &owner, "auth.password_reset_requested", user_id).await;
    assert_eq!(requested["actor"]["type"], "anonymous");
}

#[actix_web::test]
async fn the_trail_filters_pages_and_orders() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let start = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    for name in ["a", "b", "c"] {
        app.create("/labels/users/", &owner, json!({"name": name}))
            .await;
    }
    let labels = events(&app, &owner, "object_type=label").await;
    assert_eq!(labels.len(), 3);
    assert_eq!(labels[0]["changes"]["name"]["after"], "c", "newest first");
    let oldest = events(&app, &owner, "object_type=label&ordering=occurred").await;
    assert_eq!(oldest[0]["changes"]["name"]["after"], "a");
    let since = events(&app, &owner, &format!("since={start}&action=label.created")).await;
    assert_eq!(since.len(), 3);
    let until = events(&app, &owner, &format!("until={start}&action=label.created")).await;
    assert!(until.is_empty());
    let owner_id = app.get("/profile/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = events(&app, &owner, &format!("actor={owner_id}&object_type=label")).await;
    assert_eq!(mine.len(), 3);

    let paged = app
        .get("/audit-events/?object_type=label&length=2&page=2", &owner)
        .await;
    assert_eq!(paged.body["count"], 3);
    assert_eq!(paged.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/audit-events/?page=99", &owner).await.status,
        StatusCode::NOT_FOUND
    );

    let bad = app
        .get("/audit-events/?since=yesterday&ordering=actor", &owner)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["since"][0].is_string() && bad.body["ordering"][0].is_string());
    let long = app
        .get(
            &format!("/audit-events/?action={}", "x".repeat(300)),
            &owner,
        )
        .await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);

    let one_event = &labels[0];
    let got = app
        .get(
            &format!("/audit-events/{}/", one_event["id"].as_str().unwrap()),
            &owner,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(&got.body, one_event);
}

#[actix_web::test]
async fn the_trail_needs_audit_view_and_stays_in_its_organization() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let some = events(&app, &owner, "").await;
    let path = format!("/audit-events/{}/", some[0]["id"].as_str().unwrap());

    assert_eq!(
        app.call(Method::GET, "/audit-events/", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, employee) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    assert_eq!(
        app.get("/audit-events/", &employee).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&path, &employee).await.status,
        StatusCode::FORBIDDEN
    );
    // Authorization before validation.
    assert_eq!(
        app.get("/audit-events/?since=nonsense", &employee)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (_, auditor) = app.member(&owner, "aud@example.com", "AUDITOR").await;
    assert_eq!(
        app.get("/audit-events/", &auditor).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get(&path, &auditor).await.status, StatusCode::OK);

    let other = app.second_organization("boss@other.example.com").await;
    let theirs = events(&app, &other, "").await;
    assert!(
        theirs
            .iter()
            .all(|e| e["object"]["id"] != some[0]["object"]["id"]),
        "another organization sees none of ours"
    );
    assert_eq!(app.get(&path, &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/audit-events/notanid/", &owner).await.status,
        StatusCode::NOT_FOUND
    );

    // Append-only: no method writes to it.
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = app
            .call(method.clone(), &path, Some(&owner), Some(json!({})))
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let reply = app
        .call(
            Method::POST,
            "/audit-events/",
            Some(&owner),
            Some(json!({})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn events_past_retention_are_pruned() {
    let app = spawn_app_with(|s| {
        s.audit_retention_days = 30;
        s.audit_prune_interval = 1;
    })
    .await;
    let owner = app.owner_token().await;
    let org = app.get("/account/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two events written straight into the database: one past retention,
    // one within it.
    let url = tessera::db::DatabaseUrl::parse(&app.database_url).unwrap();
    let db = tessera::db::Db::connect(&url, 1).unwrap();
    let now = chrono::Utc::now().naive_utc();
    for (id, age_days) in [("o1dEventAAAA", 40), ("recentEventA", 10)] {
        let org = org.clone();
        db.write(move |conn| {
            Ok(tessera::db::audit::insert(
                conn,
                &tessera::db::audit::AuditEventRow {
                    id: id.into(),
                    organization_id: org,
                    occurred: now - chrono::Duration::days(age_days),
                    actor_type: "system".into(),
                    actor_id: None,
                    actor_email: None,
                    actor_name: None,
                    action: "test.old".into(),
                    object_type: "test".into(),
                    object_id: id.into(),
                    changes: "{}".into(),
                    request_id: None,
                    client_address: None,
                    user_agent: None,
                    interface: "cli".into(),
                },
            )?)
        })
        .await
        .unwrap();
    }
    for _ in 0..50 {
        let left = events(&app, &owner, "action=test.old").await;
        if left.len() == 1 {
            assert_eq!(left[0]["id"], "recentEventA");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the old event was not pruned");
}
