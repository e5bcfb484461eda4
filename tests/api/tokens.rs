//! The token lifecycle of API.md §3: `/auth/refresh/`, `/auth/verify/` and
//! `/auth/revoke/`, and what password changes and deactivation do to tokens.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::startup::Application;

use crate::helpers::{
    OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, settings, spawn_app, spawn_app_with,
};

const TOKEN_INVALID: &str = "Token is invalid or expired.";
const REQUIRED: &str = "This field is required.";
const INVALID_TOKEN: &str = "Invalid token.";
const NEW_PASSWORD: &str = "brand-new-pass-2";

// ---------------------------------------------------------------- helpers

async fn lifecycle(app: &TestApp, action: &str, body: Value) -> Reply {
    app.call(Method::POST, &format!("/auth/{action}/"), None, Some(body))
        .await
}

async fn verify(app: &TestApp, token: &str) -> Reply {
    lifecycle(app, "verify", json!({"token": token})).await
}

async fn refresh(app: &TestApp, token: &str) -> Reply {
    lifecycle(app, "refresh", json!({"token": token})).await
}

async fn revoke(app: &TestApp, token: &str) -> Reply {
    lifecycle(app, "revoke", json!({"token": token})).await
}

/// Refreshes `token` and returns the new one (panics unless 200).
async fn refreshed(app: &TestApp, token: &str) -> String {
    let reply = refresh(app, token).await;
    assert_eq!(reply.status, StatusCode::OK, "refresh: {}", reply.body);
    reply.body["token"].as_str().expect("a token").to_owned()
}

fn assert_status(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
}

/// A 400 `{"token": ["Token is invalid or expired."]}`.
fn assert_token_rejected(reply: &Reply, what: &str) {
    assert_status(reply, StatusCode::BAD_REQUEST, what);
    assert_eq!(reply.body, json!({"token": [TOKEN_INVALID]}), "{what}");
}

/// The token authenticates on `GET /users/`.
async fn assert_works(app: &TestApp, token: &str, what: &str) {
    assert_status(&app.get("/users/", token).await, StatusCode::OK, what);
    let reply = verify(app, token).await;
    assert_status(&reply, StatusCode::OK, &format!("{what} (verify)"));
    assert_eq!(reply.body, json!({"token": token}), "{what}");
}

/// The token no longer authenticates, verifies or refreshes.
async fn assert_dead(app: &TestApp, token: &str, what: &str) {
    let reply = app.get("/users/", token).await;
    assert_status(&reply, StatusCode::UNAUTHORIZED, what);
    assert_eq!(reply.body, json!({"detail": INVALID_TOKEN}), "{what}");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("JWT realm=\"api\""),
        "{what}"
    );
    let bearer = Reply::from(
        app.client
            .get(app.url("/users/"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("request sent"),
    )
    .await;
    assert_status(
        &bearer,
        StatusCode::UNAUTHORIZED,
        &format!("{what} (Bearer)"),
    );
    assert_token_rejected(&verify(app, token).await, &format!("{what} (verify)"));
    assert_token_rejected(&refresh(app, token).await, &format!("{what} (refresh)"));
}

// ---------------------------------------------------------------- verify

#[actix_web::test]
async fn verify_echoes_a_good_token() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = verify(&app, &token).await;
    assert_status(&reply, StatusCode::OK, "verify");
    assert_eq!(reply.body, json!({"token": token}));
}

#[actix_web::test]
async fn verify_rejects_garbage() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for garbage in [
        "garbage",
        "",
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        tampered.as_str(),
    ] {
        assert_token_rejected(&verify(&app, garbage).await, &format!("verify {garbage:?}"));
    }
}

#[actix_web::test]
async fn the_token_field_is_required() {
    let app = spawn_app().await;
    for action in ["verify", "refresh", "revoke"] {
        let reply = lifecycle(&app, action, json!({})).await;
        assert_status(&reply, StatusCode::BAD_REQUEST, action);
        assert_eq!(reply.body, json!({"token": [REQUIRED]}), "{action}");

        let reply = lifecycle(&app, action, json!({"token": 42})).await;
        assert_status(
            &reply,
            StatusCode::BAD_REQUEST,
            &format!("{action} with a number"),
        );
        assert!(reply.body["token"].is_array(), "{action}: {}", reply.body);
    }
}

#[actix_web::test]
async fn lifecycle_endpoints_accept_a_form_body() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = Reply::from(
        app.client
            .post(app.url("/auth/verify/"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .send()
            .await
            .expect("request sent"),
    )
    .await;
    assert_status(&reply, StatusCode::OK, "verify with a form");
    assert_eq!(reply.body, json!({"token": token}));
}

#[actix_web::test]
async fn an_api_key_is_not_a_token_to_verify() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.post("/keys/", &token, json!({"name": "k"})).await;
    assert_status(&reply, StatusCode::CREATED, "create a key");
    let key = reply.body["key"].as_str().unwrap();
    assert_token_rejected(&verify(&app, key).await, "verify an API key");
    assert_token_rejected(&refresh(&app, key).await, "refresh an API key");
}

// ---------------------------------------------------------------- refresh

#[actix_web::test]
async fn refresh_issues_a_new_working_token_and_keeps_the_old_one() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let new = refreshed(&app, &token).await;
    assert_ne!(new, token, "a new token");
    assert_works(&app, &new, "the refreshed token").await;
    assert_works(&app, &token, "the old token").await;

    let newer = refreshed(&app, &new).await;
    assert_ne!(newer, new);
    assert_ne!(newer, token);
    assert_works(&app, &newer, "a token refreshed twice").await;
}

#[actix_web::test]
async fn refresh_rejects_garbage() {
    let app = spawn_app().await;
    assert_token_rejected(&refresh(&app, "garbage").await, "refresh garbage");
    assert_token_rejected(&revoke(&app, "garbage").await, "revoke garbage");
}

// ---------------------------------------------------------------- revoke

#[actix_web::test]
async fn a_revoked_token_stops_working() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_works(&app, &token, "before revoke").await;

    let reply = revoke(&app, &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke");
    assert_eq!(reply.body, Value::Null, "204 has no body");

    assert_dead(&app, &token, "a revoked token").await;
    assert_token_rejected(&revoke(&app, &token).await, "a second revoke");
}

#[actix_web::test]
async fn revoking_a_token_ends_its_refresh_family_and_nothing_else() {
    let app = spawn_app().await;
    let login = app.owner_token().await;
    let once = refreshed(&app, &login).await;
    let twice = refreshed(&app, &once).await;
    let other = app.owner_token().await;
    let other_refreshed = refreshed(&app, &other).await;
    assert_ne!(login, other, "each login issues its own token");

    // Revoking any token of a family ends the login it descends from and
    // every token refreshed from that login, not another login's tokens.
    let reply = revoke(&app, &once).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke the refreshed one");
    assert_dead(&app, &once, "the revoked token").await;
    assert_dead(&app, &twice, "a token refreshed from the revoked one").await;
    assert_dead(&app, &login, "the login the revoked one was refreshed from").await;
    assert_works(&app, &other, "another login's token").await;
    assert_works(
        &app,
        &other_refreshed,
        "a token refreshed from another login",
    )
    .await;

    let reply = revoke(&app, &other).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke the other login");
    assert_dead(&app, &other_refreshed, "refreshed from the other login").await;
    assert_works(&app, &app.owner_token().await, "a new login").await;
}

/// A token as issued before refresh families existed: the claims of
/// `token` without `fam`, signed with the test key.
fn without_family(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let mut claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64"),
    )
    .expect("JSON claims");
    assert!(
        claims["fam"].is_string(),
        "tokens name their family: {claims}"
    );
    // As an HS256 token of before asymmetric keys: no family, issuer or
    // audience, issued before this server started.
    for claim in ["fam", "iss", "aud"] {
        claims.as_object_mut().unwrap().remove(claim);
    }
    claims["iat"] = json!(claims["iat"].as_i64().unwrap() - 600);
    claims["jti"] = json!(format!("legacy{}", tessera::domain::id::random_secret(10)));
    let key = settings("sqlite://unused")
        .secret_key
        .expect("a test secret");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("a signed token")
}

#[actix_web::test]
async fn a_token_from_before_families_is_a_family_of_its_own() {
    let app = spawn_app().await;
    let current = app.owner_token().await;
    let legacy = without_family(&current);
    assert_works(&app, &legacy, "a token without a family").await;
    let from_legacy = refreshed(&app, &legacy).await;

    let reply = revoke(&app, &from_legacy).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke the refreshed one");
    assert_dead(&app, &legacy, "the familyless token it was refreshed from").await;
    assert_works(&app, &current, "the token the legacy one was copied from").await;

    let another = without_family(&current);
    let reply = revoke(&app, &another).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke a familyless token");
    assert_dead(&app, &another, "a revoked familyless token").await;
    assert_works(&app, &current, "an unrelated token").await;
}

#[actix_web::test]
async fn a_revocation_holds_on_another_replica() {
    let app = spawn_app_with(|s| s.mail.public_url = Some("http://tessera.test".into())).await;
    let token = app.owner_token().await;
    let other = app.owner_token().await;
    let reply = revoke(&app, &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "revoke");

    // A second server on the same database, as a replica or after a restart
    // (with the same public URL, the tokens' issuer).
    let mut replica_settings = settings(&app.database_url);
    replica_settings.mail.public_url = Some("http://tessera.test".into());
    let replica = Application::build(replica_settings)
        .await
        .expect("the replica starts");
    let address = format!("http://127.0.0.1:{}", replica.port());
    actix_web::rt::spawn(replica.run_until_stopped());

    let reply = Reply::from(
        app.client
            .get(format!("{address}/users/"))
            .header("Authorization", format!("JWT {token}"))
            .send()
            .await
            .expect("request sent"),
    )
    .await;
    assert_status(
        &reply,
        StatusCode::UNAUTHORIZED,
        "revoked token on the replica",
    );
    let reply = Reply::from(
        app.client
            .post(format!("{address}/auth/verify/"))
            .json(&json!({"token": token}))
            .send()
            .await
            .expect("request sent"),
    )
    .await;
    assert_token_rejected(&reply, "verify on the replica");
    // While a token the first server signed and nobody revoked works there.
    let reply = Reply::from(
        app.client
            .get(format!("{address}/users/"))
            .header("Authorization", format!("JWT {other}"))
            .send()
            .await
            .expect("request sent"),
    )
    .await;
    assert_status(&reply, StatusCode::OK, "another token on the replica");
}

// ---------------------------------------------------------------- password change and deactivation

#[actix_web::test]
async fn a_password_change_invalidates_earlier_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let refreshed_before = refreshed(&app, &member).await;
    assert_works(&app, &member, "before the change").await;

    let reply = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"password": NEW_PASSWORD}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "owner sets a new password");

    assert_dead(&app, &member, "a token from before the password change").await;
    assert_dead(&app, &refreshed_before, "a refreshed token from before").await;
    assert_works(&app, &owner, "the owner's token").await;

    let after = app.login("dev@example.com", NEW_PASSWORD).await;
    assert_works(&app, &after, "a token from after the change").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": "dev@example.com", "password": PASSWORD})),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "the old password");
}

#[actix_web::test]
async fn an_owners_own_password_change_invalidates_its_earlier_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = app.id_of(&owner, OWNER_EMAIL).await;
    let reply = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"password": NEW_PASSWORD}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "owner changes its own password");
    assert_dead(&app, &owner, "the owner's earlier token").await;
    let after = app.login(OWNER_EMAIL, NEW_PASSWORD).await;
    assert_works(&app, &after, "the owner's new token").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD})),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "the old password");
}

#[actix_web::test]
async fn a_failed_password_change_leaves_tokens_working() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let reply = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"password": "short"}),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "a password too short");
    assert_works(&app, &member, "the token after a rejected change").await;
}

#[actix_web::test]
async fn deactivation_invalidates_earlier_tokens_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    assert_works(&app, &member, "before deactivation").await;

    let reply = app
        .patch(&format!("/users/{id}/"), &owner, json!({"active": false}))
        .await;
    assert_status(&reply, StatusCode::OK, "deactivate");
    assert_dead(&app, &member, "a deactivated user's token").await;
    assert_token_rejected(
        &revoke(&app, &member).await,
        "revoke a deactivated user's token",
    );

    let reply = app
        .patch(&format!("/users/{id}/"), &owner, json!({"active": true}))
        .await;
    assert_status(&reply, StatusCode::OK, "reactivate");
    assert_dead(
        &app,
        &member,
        "a token from before deactivation, after reactivation",
    )
    .await;
    let after = app.login("dev@example.com", PASSWORD).await;
    assert_works(&app, &after, "a token from after reactivation").await;
}

#[actix_web::test]
async fn a_deleted_users_token_is_rejected_by_the_lifecycle_endpoints() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let reply = app.delete(&format!("/users/{id}/"), &owner).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete");
    assert_dead(&app, &member, "a deleted user's token").await;
    assert_token_rejected(
        &revoke(&app, &member).await,
        "revoke a deleted user's token",
    );
}
