//! API keys (API.md §3): a person's own at `/keys/`, an API user's at
//! `/api-users/{id}/keys/` (with `keys.manage`), used as
//! `Authorization: Bearer <key>` or `JWT <key>`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const INVALID_TOKEN: &str = "Invalid token.";
const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";

// ---------------------------------------------------------------- helpers

/// Sends a request with a raw `Authorization` header value.
async fn with_authorization(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("Authorization", authorization);
    if let Some(body) = body {
        request = request.json(&body);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn bearer_get(app: &TestApp, path: &str, key: &str) -> Reply {
    with_authorization(app, Method::GET, path, &format!("Bearer {key}"), None).await
}

/// POSTs `body` to `path` and returns the created key (panics unless 201).
async fn create_key_at(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let reply = app.post(path, token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "POST {path} {body}: {}",
        reply.body
    );
    reply.body
}

/// Creates an own key named `name`: (id, secret).
async fn own_key(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let key = create_key_at(app, "/keys/", token, json!({"name": name})).await;
    (
        key["id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
    )
}

/// Creates an API user with `body` and returns its id.
async fn api_user(app: &TestApp, token: &str, body: Value) -> String {
    let reply = app.post("/api-users/", token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "create API user {body}: {}",
        reply.body
    );
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Creates a key of API user `id`: (key id, secret).
async fn api_user_key(app: &TestApp, token: &str, id: &str) -> (String, String) {
    let key = create_key_at(
        app,
        &format!("/api-users/{id}/keys/"),
        token,
        json!({"name": "deploy"}),
    )
    .await;
    (
        key["id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
    )
}

fn assert_status(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
}

fn assert_invalid(reply: &Reply, what: &str) {
    assert_status(reply, StatusCode::UNAUTHORIZED, what);
    assert_eq!(reply.body, json!({"detail": INVALID_TOKEN}), "{what}");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("JWT realm=\"api\""),
        "{what}"
    );
}

fn assert_forbidden(reply: &Reply, what: &str) {
    assert_status(reply, StatusCode::FORBIDDEN, what);
    assert_eq!(reply.body, json!({"detail": FORBIDDEN}), "{what}");
}

fn assert_not_found(reply: &Reply, what: &str) {
    assert_status(reply, StatusCode::NOT_FOUND, what);
    assert_eq!(reply.body, json!({"detail": "Not found."}), "{what}");
}

fn assert_field_error(reply: &Reply, field: &str, what: &str) {
    assert_status(reply, StatusCode::BAD_REQUEST, what);
    assert!(
        reply.body.get(field).is_some_and(Value::is_array),
        "{what}: a 400 on {field}, got {}",
        reply.body
    );
}

fn assert_time(value: &Value, what: &str) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is a string: {value}"));
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6fZ")
        .unwrap_or_else(|e| panic!("{what} {s} is ISO 8601 with microseconds and Z: {e}"));
}

fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- own keys

#[actix_web::test]
async fn creating_a_key_shows_its_secret_once() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.post("/keys/", &token, json!({"name": "laptop"})).await;
    assert_status(&reply, StatusCode::CREATED, "create");
    let key = &reply.body;
    let id = key["id"].as_str().expect("an id");
    assert_eq!(id.len(), 12, "{key}");
    assert_eq!(
        reply.header("location"),
        Some(format!("/keys/{id}/").as_str())
    );
    assert_eq!(key["name"], "laptop");
    let secret = key["key"].as_str().expect("the secret");
    let prefix = key["prefix"].as_str().expect("a prefix");
    assert!(secret.starts_with("tsk_"), "{secret}");
    assert!(prefix.starts_with("tsk_"), "{prefix}");
    assert!(
        secret.starts_with(prefix) && secret.len() > prefix.len() + 16,
        "the prefix begins the secret: {key}"
    );
    assert_time(&key["created"], "created");
    assert_eq!(key["expires"], Value::Null);
    assert_eq!(key["last_used"], Value::Null);

    let list = app.get("/keys/", &token).await;
    assert_status(&list, StatusCode::OK, "list");
    let listed = list.body.as_array().expect("a list of keys");
    assert_eq!(listed.len(), 1, "{}", list.body);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["name"], "laptop");
    assert_eq!(listed[0]["prefix"], prefix);
    assert_eq!(listed[0]["created"], key["created"]);
    assert!(
        listed[0].get("key").is_none(),
        "no secret in lists: {}",
        list.body
    );
    assert!(
        !list.body.to_string().contains(secret),
        "the secret is never shown again"
    );
}

#[actix_web::test]
async fn two_keys_get_different_secrets_and_are_listed_oldest_first() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (first, first_secret) = own_key(&app, &token, "one").await;
    let (second, second_secret) = own_key(&app, &token, "two").await;
    assert_ne!(first_secret, second_secret);
    let list = app.get("/keys/", &token).await;
    assert_eq!(ids(&list.body), vec![first, second]);
}

#[actix_web::test]
async fn a_key_authenticates_with_bearer_and_jwt_and_records_its_use() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (id, secret) = own_key(&app, &token, "laptop").await;

    let reply = bearer_get(&app, "/users/", &secret).await;
    assert_status(&reply, StatusCode::OK, "Bearer <key>");
    assert_eq!(reply.body["count"], 1, "{}", reply.body);
    let reply = app.get("/users/", &secret).await;
    assert_status(&reply, StatusCode::OK, "JWT <key>");

    let list = app.get("/keys/", &token).await;
    let key = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} listed: {}", list.body))
        .clone();
    assert_time(&key["last_used"], "last_used after use");

    // The key acts as its owner: it sees the owner's own keys.
    let own = app.get("/keys/", &secret).await;
    assert_status(&own, StatusCode::OK, "key lists its owner's keys");
    assert_eq!(ids(&own.body), vec![id]);
}

#[actix_web::test]
async fn a_deleted_key_stops_working_at_once() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (id, secret) = own_key(&app, &token, "laptop").await;
    let (_, other_secret) = own_key(&app, &token, "desktop").await;
    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "before delete",
    );

    let reply = app.delete(&format!("/keys/{id}/"), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete");
    assert_eq!(reply.body, Value::Null);

    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "Bearer after delete",
    );
    assert_invalid(&app.get("/users/", &secret).await, "JWT after delete");
    assert_status(
        &bearer_get(&app, "/users/", &other_secret).await,
        StatusCode::OK,
        "the other key still works",
    );
    let list = app.get("/keys/", &token).await;
    assert!(!ids(&list.body).contains(&id), "{}", list.body);
    assert_not_found(
        &app.delete(&format!("/keys/{id}/"), &token).await,
        "second delete",
    );
}

#[actix_web::test]
async fn keys_are_per_owner() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let (member_key, member_secret) = own_key(&app, &member, "dev laptop").await;
    let (owner_key, _) = own_key(&app, &owner, "owner laptop").await;

    assert_eq!(
        ids(&app.get("/keys/", &member).await.body),
        vec![member_key.clone()]
    );
    assert_eq!(
        ids(&app.get("/keys/", &owner).await.body),
        vec![owner_key.clone()]
    );

    assert_not_found(
        &app.delete(&format!("/keys/{member_key}/"), &owner).await,
        "the owner deletes a member's key at /keys/",
    );
    assert_not_found(
        &app.delete(&format!("/keys/{owner_key}/"), &member).await,
        "a member deletes the owner's key",
    );
    assert_status(
        &bearer_get(&app, "/users/", &member_secret).await,
        StatusCode::OK,
        "the member's key still works",
    );
    assert_eq!(ids(&app.get("/keys/", &owner).await.body), vec![owner_key]);
}

#[actix_web::test]
async fn a_persons_key_acts_with_that_persons_permissions() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let (_, secret) = own_key(&app, &member, "dev laptop").await;

    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "employee key reads",
    );
    assert_forbidden(
        &with_authorization(
            &app,
            Method::POST,
            "/users/",
            &format!("Bearer {secret}"),
            Some(json!({"name": "x", "email": "x@example.com"})),
        )
        .await,
        "employee key writes",
    );
}

#[actix_web::test]
async fn a_deactivated_persons_key_stops_working_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (member_id, member) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let (_, secret) = own_key(&app, &member, "dev laptop").await;

    let reply = app
        .patch(
            &format!("/users/{member_id}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "deactivate");
    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "key of a deactivated person",
    );

    let reply = app
        .patch(
            &format!("/users/{member_id}/"),
            &owner,
            json!({"active": true}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "reactivate");
    // Deactivation ended the key for good (API.md §3).
    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "key of a reactivated person",
    );
}

#[actix_web::test]
async fn own_keys_need_authentication() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (id, _) = own_key(&app, &token, "laptop").await;
    for (method, path, body) in [
        (Method::GET, "/keys/".to_owned(), None),
        (
            Method::POST,
            "/keys/".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/keys/{id}/"), None),
    ] {
        let what = format!("{method} {path}");
        let reply = app.call(method, &path, None, body).await;
        assert_status(&reply, StatusCode::UNAUTHORIZED, &what);
        assert_eq!(reply.body, json!({"detail": NOT_AUTHENTICATED}), "{what}");
    }
    assert_eq!(ids(&app.get("/keys/", &token).await.body), vec![id]);
}

#[actix_web::test]
async fn malformed_and_unknown_key_ids_are_not_found() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for id in ["short", "0OIl0OIl0OIl", "123456789ABC"] {
        assert_not_found(
            &app.delete(&format!("/keys/{id}/"), &token).await,
            &format!("DELETE /keys/{id}/"),
        );
    }
}

// ---------------------------------------------------------------- forged and expired keys

#[actix_web::test]
async fn a_forged_key_is_invalid() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (_, secret) = own_key(&app, &token, "laptop").await;

    // The real prefix with a wrong secret of the same shape.
    let mut forged = secret.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'x' { 'y' } else { 'x' });
    assert_eq!(forged.len(), secret.len());
    assert_invalid(&bearer_get(&app, "/users/", &forged).await, "forged secret");
    assert_invalid(&app.get("/users/", &forged).await, "forged secret as JWT");

    // A well-shaped key whose prefix does not exist.
    let unknown = format!("tsk_ZZZZZZZZ_{}", "z".repeat(32));
    assert_eq!(unknown.len(), secret.len(), "{secret}");
    assert_invalid(
        &bearer_get(&app, "/users/", &unknown).await,
        "unknown prefix",
    );

    // Truncated and padded keys.
    assert_invalid(
        &bearer_get(&app, "/users/", &secret[..secret.len() - 1]).await,
        "truncated key",
    );
    assert_invalid(
        &bearer_get(&app, "/users/", &format!("{secret}x")).await,
        "padded key",
    );

    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "the real key still works",
    );
}

#[actix_web::test]
async fn an_expiry_must_be_in_the_future() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let past = iso(chrono::Utc::now() - chrono::Duration::hours(1));
    let reply = app
        .post("/keys/", &token, json!({"name": "old", "expires": past}))
        .await;
    assert_field_error(&reply, "expires", "expiry in the past");

    let reply = app
        .post(
            "/keys/",
            &token,
            json!({"name": "bad", "expires": "tomorrow"}),
        )
        .await;
    assert_field_error(&reply, "expires", "expiry not a date");
    assert_eq!(app.get("/keys/", &token).await.body, json!([]));

    let future = chrono::Utc::now() + chrono::Duration::days(30);
    let key = create_key_at(
        &app,
        "/keys/",
        &token,
        json!({"name": "month", "expires": iso(future)}),
    )
    .await;
    assert_eq!(key["expires"], iso(future), "{key}");
    let secret = key["key"].as_str().unwrap();
    assert_status(
        &bearer_get(&app, "/users/", secret).await,
        StatusCode::OK,
        "a key before its expiry",
    );

    let key = create_key_at(
        &app,
        "/keys/",
        &token,
        json!({"name": "forever", "expires": null}),
    )
    .await;
    assert_eq!(key["expires"], Value::Null);
}

#[actix_web::test]
async fn an_expired_key_is_invalid() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let soon = chrono::Utc::now() + chrono::Duration::seconds(3);
    let key = create_key_at(
        &app,
        "/keys/",
        &token,
        json!({"name": "brief", "expires": iso(soon)}),
    )
    .await;
    let secret = key["key"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_invalid(&bearer_get(&app, "/users/", secret).await, "expired key");
}

#[actix_web::test]
async fn a_key_needs_a_valid_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;

    let reply = app.post("/keys/", &token, json!({})).await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "missing name");
    assert_eq!(reply.body["name"], json!([REQUIRED]), "{}", reply.body);

    for (name, what) in [
        (json!(""), "empty name"),
        (json!("   "), "blank name"),
        (json!(null), "null name"),
        (json!("n".repeat(101)), "name over 100 characters"),
        (json!(["a"]), "name of the wrong type"),
    ] {
        let reply = app.post("/keys/", &token, json!({"name": name})).await;
        assert_field_error(&reply, "name", what);
    }
    assert_eq!(app.get("/keys/", &token).await.body, json!([]));

    let key = create_key_at(&app, "/keys/", &token, json!({"name": "n".repeat(100)})).await;
    assert_eq!(key["name"], "n".repeat(100));
    let key = create_key_at(&app, "/keys/", &token, json!({"name": "  padded  "})).await;
    assert_eq!(key["name"], "padded", "names are trimmed");
}

// ---------------------------------------------------------------- API users' keys

#[actix_web::test]
async fn an_api_users_key_authenticates_as_that_api_user() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "reader", "email": "reader@example.com",
               "user_roles": [{"role": "VIEWER"}]}),
    )
    .await;
    let reply = app
        .post(
            &format!("/api-users/{id}/keys/"),
            &owner,
            json!({"name": "deploy"}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "create an API user's key");
    let key_id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api-users/{id}/keys/{key_id}/").as_str())
    );
    let secret = reply.body["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tsk_"), "{secret}");
    assert_eq!(reply.body["last_used"], Value::Null);

    let reply = bearer_get(&app, "/users/", &secret).await;
    assert_status(&reply, StatusCode::OK, "VIEWER API user reads users");
    assert_forbidden(
        &with_authorization(
            &app,
            Method::POST,
            "/users/",
            &format!("Bearer {secret}"),
            Some(json!({"name": "x", "email": "x@example.com"})),
        )
        .await,
        "VIEWER API user creates a user",
    );

    // The key is the API user's, not the owner's.
    assert_eq!(app.get("/keys/", &owner).await.body, json!([]));
    let own = bearer_get(&app, "/keys/", &secret).await;
    assert_status(&own, StatusCode::OK, "the API user lists its own keys");
    assert_eq!(ids(&own.body), vec![key_id.clone()]);

    let list = app.get(&format!("/api-users/{id}/keys/"), &owner).await;
    assert_status(&list, StatusCode::OK, "list an API user's keys");
    assert_eq!(ids(&list.body), vec![key_id]);
    assert!(list.body[0].get("key").is_none(), "{}", list.body);
    assert_time(&list.body[0]["last_used"], "last_used after use");
}

#[actix_web::test]
async fn an_admin_api_users_key_can_write() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "provisioner", "email": "prov@example.com",
               "user_roles": [{"role": "ADMIN"}]}),
    )
    .await;
    let (_, secret) = api_user_key(&app, &owner, &id).await;
    let reply = with_authorization(
        &app,
        Method::POST,
        "/users/",
        &format!("JWT {secret}"),
        Some(json!({"name": "new", "email": "new@example.com"})),
    )
    .await;
    assert_status(&reply, StatusCode::CREATED, "ADMIN API user creates a user");
    assert_eq!(
        reply.body["changed_by"]["id"],
        id.as_str(),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn api_users_keys_need_keys_manage() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let (_, employee) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    let keys_path = format!("/api-users/{id}/keys/");

    let (owner_key, _) = api_user_key(&app, &owner, &id).await;
    let (admin_key, admin_secret) = api_user_key(&app, &admin, &id).await;
    let list = app.get(&keys_path, &admin).await;
    assert_status(&list, StatusCode::OK, "admin lists");
    assert_eq!(ids(&list.body), vec![owner_key.clone(), admin_key.clone()]);

    assert_forbidden(&app.get(&keys_path, &employee).await, "employee lists");
    assert_forbidden(
        &app.post(&keys_path, &employee, json!({"name": "mine"}))
            .await,
        "employee creates",
    );
    assert_forbidden(
        &app.post(&keys_path, &employee, json!({})).await,
        "employee creates with an invalid body: 403 before validation",
    );
    assert_forbidden(
        &app.delete(&format!("{keys_path}{owner_key}/"), &employee)
            .await,
        "employee deletes",
    );
    assert_eq!(ids(&app.get(&keys_path, &owner).await.body).len(), 2);

    let reply = app
        .delete(&format!("{keys_path}{admin_key}/"), &admin)
        .await;
    assert_status(&reply, StatusCode::NO_CONTENT, "admin deletes");
    assert_invalid(
        &bearer_get(&app, "/users/", &admin_secret).await,
        "a deleted API user's key",
    );
    assert_eq!(
        ids(&app.get(&keys_path, &owner).await.body),
        vec![owner_key]
    );
}

#[actix_web::test]
async fn api_user_keys_are_only_under_their_api_user() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let first = api_user(&app, &owner, json!({"name": "a", "email": "a@example.com"})).await;
    let second = api_user(&app, &owner, json!({"name": "b", "email": "b@example.com"})).await;
    let (key, secret) = api_user_key(&app, &owner, &first).await;
    let (own, _) = own_key(&app, &owner, "laptop").await;

    assert_not_found(
        &app.delete(&format!("/api-users/{second}/keys/{key}/"), &owner)
            .await,
        "a key under another API user",
    );
    assert_not_found(
        &app.delete(&format!("/keys/{key}/"), &owner).await,
        "an API user's key at /keys/",
    );
    assert_not_found(
        &app.delete(&format!("/api-users/{first}/keys/{own}/"), &owner)
            .await,
        "an own key under an API user",
    );
    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "the key still works",
    );

    // A person is not an API user here either.
    let (person, _) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;
    assert_not_found(
        &app.get(&format!("/api-users/{person}/keys/"), &owner).await,
        "a person's keys under /api-users/",
    );
    assert_not_found(
        &app.post(
            &format!("/api-users/{person}/keys/"),
            &owner,
            json!({"name": "x"}),
        )
        .await,
        "a key for a person under /api-users/",
    );
    for id in ["short", "0OIl0OIl0OIl", "123456789ABC"] {
        assert_not_found(
            &app.get(&format!("/api-users/{id}/keys/"), &owner).await,
            &format!("keys of {id}"),
        );
    }
}

#[actix_web::test]
async fn deactivating_an_api_user_ends_its_keys_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let (_, secret) = api_user_key(&app, &owner, &id).await;
    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "active API user",
    );

    let reply = app
        .patch(
            &format!("/api-users/{id}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "deactivate");
    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "deactivated API user",
    );

    let reply = app
        .patch(
            &format!("/api-users/{id}/"),
            &owner,
            json!({"active": true}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "reactivate");
    // Deactivation ended the key for good (API.md §3).
    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "reactivated API user",
    );
}

#[actix_web::test]
async fn deleting_an_api_user_invalidates_its_keys() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let (_, secret) = api_user_key(&app, &owner, &id).await;
    let reply = app.delete(&format!("/api-users/{id}/"), &owner).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete the API user");
    assert_invalid(
        &bearer_get(&app, "/users/", &secret).await,
        "key of a deleted API user",
    );
}

#[actix_web::test]
async fn another_organizations_api_user_keys_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let (key, secret) = api_user_key(&app, &owner, &id).await;
    let other = app.second_organization("boss@other.example").await;
    let keys_path = format!("/api-users/{id}/keys/");

    assert_not_found(
        &app.get(&keys_path, &other).await,
        "list across organizations",
    );
    assert_not_found(
        &app.post(&keys_path, &other, json!({"name": "stolen"}))
            .await,
        "create across organizations",
    );
    assert_not_found(
        &app.delete(&format!("{keys_path}{key}/"), &other).await,
        "delete across organizations",
    );
    assert_not_found(
        &app.delete(&format!("/keys/{key}/"), &other).await,
        "delete another organization's key at /keys/",
    );
    assert_eq!(ids(&app.get(&keys_path, &owner).await.body), vec![key]);
    assert_status(
        &bearer_get(&app, "/users/", &secret).await,
        StatusCode::OK,
        "the key still works",
    );

    // The key sees its own organization only.
    let people = bearer_get(&app, "/users/", &secret).await;
    assert!(
        !people.body.to_string().contains("boss@other.example"),
        "{}",
        people.body
    );
}

#[actix_web::test]
async fn team_tier_keys_manage_does_not_reach_api_users_keys() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let role = app
        .post(
            "/roles/",
            &owner,
            json!({"name": "Key keeper", "permissions": ["keys.manage"]}),
        )
        .await;
    assert_status(&role, StatusCode::CREATED, "create a role");
    let team = app
        .post("/teams/", &owner, json!({"name": "Platform"}))
        .await;
    assert_status(&team, StatusCode::CREATED, "create a team");
    let reply = app
        .post(
            "/users/",
            &owner,
            json!({"email": "lead@example.com", "name": "lead", "password": PASSWORD,
                   "user_roles": [{"role": "EMPLOYEE"},
                                  {"role": role.body["id"], "team": team.body["id"]}]}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "create the team lead");
    let lead = app.login("lead@example.com", PASSWORD).await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let keys_path = format!("/api-users/{id}/keys/");
    assert_forbidden(
        &app.get(&keys_path, &lead).await,
        "team-tier keys.manage lists",
    );
    assert_forbidden(
        &app.post(&keys_path, &lead, json!({"name": "x"})).await,
        "team-tier keys.manage creates",
    );
}

#[actix_web::test]
async fn malformed_key_ids_under_an_api_user_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user(
        &app,
        &owner,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    for key in ["short", "0OIl0OIl0OIl", "123456789ABC"] {
        assert_not_found(
            &app.delete(&format!("/api-users/{id}/keys/{key}/"), &owner)
                .await,
            &format!("DELETE key {key}"),
        );
    }
}

#[actix_web::test]
async fn key_paths_without_the_trailing_slash_are_served() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.post("/keys", &token, json!({"name": "laptop"})).await;
    assert_status(&reply, StatusCode::CREATED, "POST /keys");
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(ids(&app.get("/keys", &token).await.body), vec![id.clone()]);
    let reply = app.delete(&format!("/keys/{id}"), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "DELETE /keys/{id}");
}
