//! When credentials end (API.md §3): deactivation ends a user's tokens and
//! API keys for good, whichever interface deactivates it; a password change
//! or reset, and turning MFA on, end every earlier token; revoking a token
//! ends every token refreshed from the same login; and link tokens never
//! reach the log.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

// ---------------------------------------------------------------- helpers

/// `GET /profile/` with `Bearer <credential>`.
async fn profile_with(app: &TestApp, credential: &str) -> Reply {
    let request = app.client.get(app.url("/profile/")).bearer_auth(credential);
    Reply::from(request.send().await.expect("request sent")).await
}

async fn assert_refused(app: &TestApp, credential: &str, what: &str) {
    let reply = profile_with(app, credential).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.body
    );
}

async fn assert_accepted(app: &TestApp, credential: &str, what: &str) {
    let reply = profile_with(app, credential).await;
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
}

/// A new API key at `path` (`/keys/` or `/api-users/{id}/keys/`): its secret.
async fn new_key(app: &TestApp, token: &str, path: &str) -> String {
    let key = app.create(path, token, json!({"name": "laptop"})).await;
    key["key"].as_str().expect("a key secret").to_owned()
}

/// Sets `active` through REST (`/users/` or `/api-users/`).
async fn set_active(app: &TestApp, owner: &str, path: &str, active: bool) {
    let reply = app.patch(path, owner, json!({"active": active})).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "active={active}: {}",
        reply.body
    );
    assert_eq!(reply.body["active"], active);
}

/// A person with a token and a key of its own: (id, token, key).
async fn person_with_key(app: &TestApp, owner: &str, email: &str) -> (String, String, String) {
    let (id, token) = app.member(owner, email, "EMPLOYEE").await;
    let key = new_key(app, &token, "/keys/").await;
    assert_accepted(app, &key, "a fresh key").await;
    (id, token, key)
}

/// After deactivation (by whatever interface) and reactivation through
/// REST, the person's earlier token and key stay dead, and the key is gone
/// from its list.
async fn assert_ended_for_good(app: &TestApp, owner: &str, id: &str, token: &str, key: &str) {
    assert_refused(app, token, "a token of the deactivated person").await;
    assert_refused(app, key, "a key of the deactivated person").await;
    set_active(app, owner, &format!("/users/{id}/"), true).await;
    assert_refused(app, token, "an earlier token after reactivation").await;
    assert_refused(app, key, "an earlier key after reactivation").await;
    let fresh = app
        .login(
            app.get(&format!("/users/{id}/"), owner).await.body["email"]
                .as_str()
                .unwrap(),
            crate::helpers::PASSWORD,
        )
        .await;
    let keys = app.get("/keys/", &fresh).await;
    assert_eq!(keys.status, StatusCode::OK, "{}", keys.body);
    assert_eq!(keys.body, json!([]), "the earlier keys are gone");
}

// ---------------------------------------------------------------- deactivation

#[actix_web::test]
async fn deactivation_through_rest_ends_keys_and_tokens_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "dev@example.com").await;
    set_active(&app, &owner, &format!("/users/{id}/"), false).await;
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;

    // An API user's keys too.
    let bot = app
        .create(
            "/api-users/",
            &owner,
            json!({"name": "bot", "email": "bot@example.com"}),
        )
        .await;
    let bot_path = format!("/api-users/{}/", bot["id"].as_str().unwrap());
    let bot_key = new_key(&app, &owner, &format!("{bot_path}keys/")).await;
    assert_accepted(&app, &bot_key, "the API user's fresh key").await;
    set_active(&app, &owner, &bot_path, false).await;
    set_active(&app, &owner, &bot_path, true).await;
    assert_refused(&app, &bot_key, "an API user's key after reactivation").await;
    let keys = app.get(&format!("{bot_path}keys/"), &owner).await;
    assert_eq!(keys.body, json!([]), "{}", keys.body);
}

#[actix_web::test]
async fn deactivation_through_scim_and_mcp_ends_keys_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;

    let (id, token, key) = person_with_key(&app, &owner, "scim@example.com").await;
    let reply = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&owner)
        .header("Content-Type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "path": "active", "value": false}]})
            .to_string(),
        )
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "SCIM: {}", reply.body);
    assert_eq!(reply.body["active"], false);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;

    let (id, token, key) = person_with_key(&app, &owner, "mcp@example.com").await;
    let org = app.get("/account/", &owner).await.body["id"].clone();
    let reply = app
        .client
        .post(app.url("/api/mcp/v1"))
        .bearer_auth(&owner)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "deactivateUser",
                                 "arguments": {"organization_id": org, "profile_id": id}}}))
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "MCP: {}", reply.body);
    assert_eq!(reply.body["result"]["isError"], false, "{}", reply.body);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;
}

#[actix_web::test]
async fn deactivation_by_the_scheduler_ends_keys_for_good() {
    let app = spawn_app_with(|s| s.webhooks.scheduler_interval = 1).await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "leaver@example.com").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let path = format!("/users/{id}/");
    let reply = app
        .patch(&path, &owner, json!({"contract_end_date": yesterday}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut state = Value::Null;
    for _ in 0..100 {
        state = app.get(&path, &owner).await.body["state"].clone();
        if state == "DEACTIVATED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "DEACTIVATED");
    // Reactivated with the contract extended, so the scheduler leaves it be.
    let reply = app
        .patch(&path, &owner, json!({"contract_end_date": null}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;
}

#[actix_web::test]
async fn inviting_a_deactivated_user_keeps_its_old_credentials_dead() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "back@example.com").await;
    set_active(&app, &owner, &format!("/users/{id}/"), false).await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let link = invited["link"].as_str().expect("a development-mode link");
    let reply = app
        .call(
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": crate::helpers::link_token(link), "password": "chosen-pass-7"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_refused(&app, &token, "a token from before, after the invitation").await;
    assert_refused(&app, &key, "a key from before, after the invitation").await;
    let fresh = app.login("back@example.com", "chosen-pass-7").await;
    assert_eq!(app.get("/keys/", &fresh).await.body, json!([]));
}
