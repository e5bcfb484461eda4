//! `/users/` and `/users/{id}/`: the User resource of API.md §1–2, with the
//! authorization rules that apply to it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, spawn_app};

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";
const LAST_OWNER: &str =
    "The last active owner of the organization cannot be deleted, deactivated or demoted.";
const MEMBERSHIP_REQUIRED: &str = "Exactly one membership role (OWNER, ADMIN, EMPLOYEE, VIEWER or AUDITOR at account tier) is required.";
const ADMIN_ROLE_ID: &str = "RoLeadmin2Xy";

// ---------------------------------------------------------------- helpers

fn user_path(id: &str) -> String {
    format!("/users/{id}/")
}

fn account_role(role: &str) -> Value {
    json!({"role": role, "scope": {"tier": "account"}})
}

/// POSTs `body` to `/users/` and returns the created user (panics unless 201).
async fn create_user(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post("/users/", token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "create {body}: {}",
        reply.body
    );
    assert_no_secrets(&reply.body);
    reply.body
}

/// Creates `n` users `{prefix}{i}@example.com` named `{name}` (or `{prefix}{i}`
/// when `name` is `None`); returns their ids in creation order.
async fn create_users(
    app: &TestApp,
    token: &str,
    prefix: &str,
    n: usize,
    name: Option<&str>,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let name = name.map_or_else(|| format!("{prefix}{i}"), str::to_owned);
        let user = create_user(
            app,
            token,
            json!({"email": format!("{prefix}{i}@example.com"), "name": name}),
        )
        .await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// How many people the caller's organization lists.
async fn user_count(app: &TestApp, token: &str) -> i64 {
    let reply = app.get("/users/", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["count"].as_i64().expect("count is an integer")
}

async fn get_user(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app.get(&user_path(id), token).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {id}: {}", reply.body);
    assert_no_secrets(&reply.body);
    reply.body
}

/// Names of the roles in a user's `user_roles`.
fn role_names(user: &Value) -> Vec<String> {
    user["user_roles"]
        .as_array()
        .expect("user_roles is a list")
        .iter()
        .map(|r| r["role"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn field_of(page: &Value, field: &str) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|u| u[field].as_str().unwrap_or("").to_owned())
        .collect()
}

/// No key anywhere in `v` looks like a password or a hash of one.
fn assert_no_secrets(v: &Value) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                let key = key.to_ascii_lowercase();
                assert!(
                    !key.contains("password") && !key.contains("hash"),
                    "secret-looking field {key:?} in {v}"
                );
                assert_no_secrets(value);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_secrets),
        _ => {}
    }
}

fn assert_public_id(v: &Value) {
    let id = v.as_str().unwrap_or_else(|| panic!("id is a string: {v}"));
    assert_eq!(id.chars().count(), 12, "id {id} has 12 characters");
    assert!(id.chars().all(|c| BASE58.contains(c)), "id {id} is Base58");
}

/// `YYYY-MM-DDThh:mm:ss.uuuuuuZ`.
fn assert_timestamp(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is a string: {v}"));
    assert_eq!(s.len(), 27, "{s} is YYYY-MM-DDThh:mm:ss.uuuuuuZ");
    assert!(s.ends_with('Z'), "{s} ends with Z");
    assert_eq!(&s[19..20], ".", "{s} has fractional seconds");
    assert!(
        s[20..26].chars().all(|c| c.is_ascii_digit()),
        "{s} has six fractional digits"
    );
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6fZ")
        .unwrap_or_else(|e| panic!("{s} is not ISO 8601: {e}"));
}

/// Sends a request with a raw `Authorization` header value (or none).
async fn with_authorization(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> Reply {
    let mut request = app.client.request(method, app.url(path));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn login_reply(app: &TestApp, email: &str, password: &str) -> Reply {
    app.call(
        Method::POST,
        "/auth/obtain/",
        None,
        Some(json!({"username": email, "password": password})),
    )
    .await
}

fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.body, json!({"detail": FORBIDDEN}), "{what}");
}

fn assert_not_found(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.body, json!({"detail": "Not found."}), "{what}");
}

fn assert_field_error(reply: &Reply, field: &str, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        reply.body
    );
    assert!(
        reply.body.get(field).is_some(),
        "{what}: a 400 on {field}, got {}",
        reply.body
    );
}

// ---------------------------------------------------------------- retrieve

#[actix_web::test]
async fn owner_creates_and_reads_a_user() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let created = app
        .post(
            "/users/",
            &token,
            json!({"email": "Ann@Example.com", "name": "Ann", "title": "dev"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/users/{id}/").as_str())
    );
    let got = app.get(&format!("/users/{id}/"), &token).await;
    assert_eq!(got.status, StatusCode::OK);
    // The local part as given, the domain IDNA-encoded (so lowercase).
    assert_eq!(got.body["email"], "Ann@example.com");
    assert_eq!(got.body["user_roles"][0]["role"]["name"], "EMPLOYEE");
    assert_eq!(got.body["state"], "PENDING");
}

#[actix_web::test]
async fn get_user_returns_the_full_seed_schema() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let owner = get_user(&app, &token, &owner_id).await;

    let expected_keys = [
        "id",
        "email",
        "name",
        "title",
        "is_billing_admin",
        "changed_by",
        "changed",
        "active",
        "labels",
        "user_roles",
        "last_login",
        "is_apiuser",
        "mfa_enabled",
        "state",
        "source",
        "created",
        "kind",
        "position",
        "additional_email_addresses",
        "contract_start_date",
        "contract_end_date",
    ];
    let object = owner.as_object().expect("a user is an object");
    for key in expected_keys {
        assert!(object.contains_key(key), "{key} missing from {owner}");
    }

    assert_public_id(&owner["id"]);
    assert_eq!(owner["id"], owner_id.as_str());
    assert_eq!(owner["email"], OWNER_EMAIL);
    assert!(owner["name"].is_string());
    assert!(owner["title"].is_string());
    assert_eq!(owner["is_billing_admin"], true);
    let changed_by = owner["changed_by"]
        .as_object()
        .expect("changed_by is an object");
    assert_public_id(&changed_by["id"]);
    assert!(changed_by["email"].is_string());
    assert!(changed_by["name"].is_string());
    assert_timestamp(&owner["changed"]);
    assert_eq!(owner["active"], true);
    assert_eq!(owner["labels"], json!([]));
    let roles = owner["user_roles"]
        .as_array()
        .expect("user_roles is a list");
    assert_eq!(roles.len(), 1, "{owner}");
    let role = &roles[0];
    assert_public_id(&role["id"]);
    assert_public_id(&role["role"]["id"]);
    assert_eq!(role["role"]["name"], "OWNER");
    assert_eq!(role["scope"], json!({"tier": "account"}));
    assert!(role.get("team").is_some_and(Value::is_null), "{role}");
    assert!(role.get("target").is_some_and(Value::is_null), "{role}");
    // The owner logged in to get the token.
    assert_timestamp(&owner["last_login"]);
    assert_eq!(owner["is_apiuser"], false);
    assert_eq!(owner["mfa_enabled"], false);
    assert_eq!(owner["state"], "ACTIVE");
    assert_eq!(owner["source"], "MANUAL");
    assert_timestamp(&owner["created"]);
    assert!(owner["kind"].is_string() || owner["kind"].is_null());
    assert!(owner["position"].is_string() || owner["position"].is_null());
    assert!(owner["additional_email_addresses"].is_array());
    assert!(owner["contract_start_date"].is_null());
    assert!(owner["contract_end_date"].is_null());

    // A fresh member: nullable fields are null, other types hold.
    let member = create_user(
        &app,
        &token,
        json!({"email": "bea@example.com", "name": "Bea", "password": PASSWORD}),
    )
    .await;
    let member = get_user(&app, &token, member["id"].as_str().unwrap()).await;
    for key in expected_keys {
        assert!(member.get(key).is_some(), "{key} missing from {member}");
    }
    assert_eq!(member["is_billing_admin"], false);
    assert_eq!(member["title"], "");
    assert!(member["last_login"].is_null());
    assert!(member["kind"].is_null());
    assert!(member["position"].is_null());
    assert_eq!(member["additional_email_addresses"], json!([]));
    assert_eq!(member["changed_by"]["id"], owner_id.as_str());
    assert_eq!(member["changed_by"]["email"], OWNER_EMAIL);
    assert_eq!(member["changed_by"]["name"], owner["name"]);
    assert_timestamp(&member["changed"]);
    assert_timestamp(&member["created"]);
}

#[actix_web::test]
async fn no_response_ever_contains_a_password_or_hash() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let created = app
        .post(
            "/users/",
            &token,
            json!({"email": "sec@example.com", "name": "Sec", "password": "secret-pass-1"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let text = created.body.to_string();
    assert!(!text.contains("secret-pass-1"), "{text}");
    assert!(!text.contains("argon2"), "{text}");
    assert_no_secrets(&created.body);

    let replies = [
        app.get(&user_path(&id), &token).await,
        app.get("/users/", &token).await,
        app.patch(
            &user_path(&id),
            &token,
            json!({"password": "another-pass-2"}),
        )
        .await,
        app.put(
            &user_path(&id),
            &token,
            json!({"email": "sec@example.com", "name": "Sec", "password": "third-pass-3"}),
        )
        .await,
    ];
    for reply in replies {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_no_secrets(&reply.body);
        let text = reply.body.to_string();
        assert!(!text.contains("pass-"), "{text}");
        assert!(!text.contains("argon2"), "{text}");
    }
}

#[actix_web::test]
async fn billing_admin_flag_follows_owner_and_billing_roles() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let billing = create_user(
        &app,
        &token,
        json!({"email": "bill@example.com", "name": "Bill",
               "user_roles": [account_role("EMPLOYEE"), account_role("BILLING")]}),
    )
    .await;
    assert_eq!(billing["is_billing_admin"], true, "{billing}");
    let plain = create_user(
        &app,
        &token,
        json!({"email": "plain@example.com", "name": "Plain",
               "user_roles": [account_role("ADMIN")]}),
    )
    .await;
    assert_eq!(plain["is_billing_admin"], false, "{plain}");
    let owner = get_user(&app, &token, &app.id_of(&token, OWNER_EMAIL).await).await;
    assert_eq!(owner["is_billing_admin"], true);
}

// ---------------------------------------------------------------- not found

#[actix_web::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = [
        "111111111111",                         // valid Base58, unknown
        "abcdefghijkm",                         // valid Base58, unknown
        "short",                                // too short
        "abcdefghijkmn",                        // 13 characters
        "0bcdefghijkm",                         // '0' is not Base58
        "Obcdefghijkm",                         // 'O' is not Base58
        "Ibcdefghijkm",                         // 'I' is not Base58
        "lbcdefghijkm",                         // 'l' is not Base58
        "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9", // six 'é': 12 bytes
        "1%27%20OR%20%271%27%3D%271",           // 1' OR '1'='1
        "x%27%3B%20DROP%20TABLE%20users%3B--",  // x'; DROP TABLE users;--
        "%25%25%25%25%25%25%25%25%25%25%25%25", // twelve '%'
    ];
    for id in ids {
        assert_not_found(&app.get(&user_path(id), &token).await, id);
        assert_not_found(
            &app.patch(&user_path(id), &token, json!({"name": "x"}))
                .await,
            id,
        );
        assert_not_found(
            &app.put(
                &user_path(id),
                &token,
                json!({"email": "x@example.com", "name": "x"}),
            )
            .await,
            id,
        );
        assert_not_found(&app.delete(&user_path(id), &token).await, id);
    }
    // Nothing was harmed.
    assert_eq!(user_count(&app, &token).await, 1);
}

#[actix_web::test]
async fn another_organizations_user_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other_token = app.second_organization("other@example.com").await;
    let other_owner = app.id_of(&other_token, "other@example.com").await;
    let other_member = create_user(
        &app,
        &other_token,
        json!({"email": "om@example.com", "name": "Other member"}),
    )
    .await;
    for id in [other_owner.as_str(), other_member["id"].as_str().unwrap()] {
        assert_not_found(&app.get(&user_path(id), &token).await, id);
    }
}

#[actix_web::test]
async fn cross_organization_writes_are_not_found_and_change_nothing() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let target = create_user(
        &app,
        &token,
        json!({"email": "tina@example.com", "name": "Tina", "title": "dev"}),
    )
    .await;
    let target_id = target["id"].as_str().unwrap().to_owned();
    let other_token = app.second_organization("other@example.com").await;

    for id in [target_id.as_str(), owner_id.as_str()] {
        let path = user_path(id);
        assert_not_found(&app.get(&path, &other_token).await, "GET");
        assert_not_found(
            &app.put(
                &path,
                &other_token,
                json!({"email": "hijack@example.com", "name": "Hijack", "active": false}),
            )
            .await,
            "PUT",
        );
        assert_not_found(
            &app.patch(
                &path,
                &other_token,
                json!({"name": "Hijack", "active": false, "password": "hijack-pass-1"}),
            )
            .await,
            "PATCH",
        );
        assert_not_found(
            &app.patch(
                &path,
                &other_token,
                json!({"user_roles": [account_role("VIEWER")]}),
            )
            .await,
            "PATCH roles",
        );
        assert_not_found(&app.delete(&path, &other_token).await, "DELETE");
    }

    let after = get_user(&app, &token, &target_id).await;
    assert_eq!(after["name"], "Tina");
    assert_eq!(after["email"], "tina@example.com");
    assert_eq!(after["active"], true);
    assert_eq!(after["changed"], target["changed"]);
    assert_eq!(after["changed_by"], target["changed_by"]);
    assert_eq!(role_names(&after), ["EMPLOYEE"]);
    let owner = get_user(&app, &token, &owner_id).await;
    assert_eq!(owner["active"], true);
    assert_eq!(role_names(&owner), ["OWNER"]);
    // The owner's password was not changed by the other organization.
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(user_count(&app, &token).await, 2);
}

// ---------------------------------------------------------------- 401

#[actix_web::test]
async fn requests_without_credentials_are_unauthorized() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = app.id_of(&token, OWNER_EMAIL).await;
    for (method, path) in [
        (Method::GET, "/users/".to_owned()),
        (Method::POST, "/users/".to_owned()),
        (Method::GET, user_path(&id)),
        (Method::PUT, user_path(&id)),
        (Method::PATCH, user_path(&id)),
        (Method::DELETE, user_path(&id)),
    ] {
        let reply = with_authorization(&app, method.clone(), &path, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(
            reply.body,
            json!({"detail": "Authentication credentials were not provided."})
        );
        assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
    }
}

#[actix_web::test]
async fn garbage_tokens_are_unauthorized() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let tampered = format!("{}x", token);
    for authorization in [
        "JWT garbage",
        "JWT not.a.jwt",
        "Bearer garbage",
        tampered.as_str(),
    ] {
        let value = if authorization.starts_with("JWT ") || authorization.starts_with("Bearer ") {
            authorization.to_owned()
        } else {
            format!("JWT {authorization}")
        };
        let reply = with_authorization(&app, Method::GET, "/users/", Some(&value)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{value}: {}",
            reply.body
        );
        assert_eq!(reply.body, json!({"detail": "Invalid token."}), "{value}");
        assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
    }
}

#[actix_web::test]
async fn bearer_scheme_works_like_jwt() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let jwt = with_authorization(&app, Method::GET, "/users/", Some(&format!("JWT {token}"))).await;
    let bearer = with_authorization(
        &app,
        Method::GET,
        "/users/",
        Some(&format!("Bearer {token}")),
    )
    .await;
    assert_eq!(jwt.status, StatusCode::OK, "{}", jwt.body);
    assert_eq!(bearer.status, StatusCode::OK, "{}", bearer.body);
    assert_eq!(jwt.body, bearer.body);

    let created = app
        .client
        .post(app.url("/users/"))
        .header("Authorization", format!("Bearer {token}"))
        .json(&json!({"email": "bearer@example.com", "name": "Bearer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------- 403

async fn read_only_role_can_read_but_not_write(role: &str) {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "reader@example.com", role).await;
    let target = create_user(
        &app,
        &owner,
        json!({"email": "target@example.com", "name": "Target", "title": "dev"}),
    )
    .await;
    let target_id = target["id"].as_str().unwrap().to_owned();
    let path = user_path(&target_id);

    let list = app.get("/users/", &token).await;
    assert_eq!(list.status, StatusCode::OK, "{role} lists: {}", list.body);
    assert_eq!(list.body["count"], 3);
    let got = app.get(&path, &token).await;
    assert_eq!(got.status, StatusCode::OK, "{role} gets: {}", got.body);
    assert_eq!(got.body["name"], "Target");

    assert_forbidden(
        &app.post(
            "/users/",
            &token,
            json!({"email": "new@example.com", "name": "New"}),
        )
        .await,
        &format!("{role} POST"),
    );
    assert_forbidden(
        &app.put(
            &path,
            &token,
            json!({"email": "target@example.com", "name": "Renamed"}),
        )
        .await,
        &format!("{role} PUT"),
    );
    assert_forbidden(
        &app.patch(&path, &token, json!({"name": "Renamed"})).await,
        &format!("{role} PATCH name"),
    );
    assert_forbidden(
        &app.patch(&path, &token, json!({"active": false})).await,
        &format!("{role} PATCH active"),
    );
    assert_forbidden(
        &app.patch(&path, &token, json!({"password": "hijack-pass-1"}))
            .await,
        &format!("{role} PATCH password"),
    );
    assert_forbidden(
        &app.patch(
            &path,
            &token,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await,
        &format!("{role} PATCH user_roles"),
    );
    assert_forbidden(&app.delete(&path, &token).await, &format!("{role} DELETE"));

    let after = get_user(&app, &owner, &target_id).await;
    assert_eq!(after["name"], "Target");
    assert_eq!(after["active"], true);
    assert_eq!(after["changed"], target["changed"]);
    assert_eq!(role_names(&after), ["EMPLOYEE"]);
    assert_eq!(user_count(&app, &owner).await, 3);
}

#[actix_web::test]
async fn employee_can_read_but_not_write() {
    read_only_role_can_read_but_not_write("EMPLOYEE").await;
}

#[actix_web::test]
async fn viewer_can_read_but_not_write() {
    read_only_role_can_read_but_not_write("VIEWER").await;
}

#[actix_web::test]
async fn auditor_can_read_but_not_write() {
    read_only_role_can_read_but_not_write("AUDITOR").await;
}

#[actix_web::test]
async fn employee_no_op_writes_are_forbidden_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    let target = create_user(
        &app,
        &owner,
        json!({"email": "target@example.com", "name": "Target"}),
    )
    .await;
    let id = target["id"].as_str().unwrap();
    let mut wrong = Vec::new();
    for body in [
        json!({}),
        json!({"user_roles": [account_role("EMPLOYEE")]}),
        json!({"unknown_field": 1}),
    ] {
        let reply = app.patch(&user_path(id), &token, body.clone()).await;
        if reply.status != StatusCode::FORBIDDEN {
            wrong.push(format!(
                "PATCH {body} by EMPLOYEE: {} {}",
                reply.status, reply.body
            ));
        }
    }
    let after = get_user(&app, &owner, id).await;
    if after["changed_by"] != target["changed_by"] || after["changed"] != target["changed"] {
        wrong.push(format!(
            "changed_by became {} (was {})",
            after["changed_by"], target["changed_by"]
        ));
    }
    assert!(
        wrong.is_empty(),
        "expected 403 and no change:\n{}",
        wrong.join("\n")
    );
}

#[actix_web::test]
async fn forbidden_create_with_invalid_body_is_403() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    for body in [
        json!({}),
        json!({"email": "not-an-email", "name": ""}),
        json!({"email": OWNER_EMAIL, "name": "Dup"}),
        json!({"email": "x@example.com", "name": "x", "user_roles": []}),
    ] {
        assert_forbidden(
            &app.post("/users/", &token, body.clone()).await,
            &format!("POST {body}"),
        );
    }
    assert_eq!(user_count(&app, &owner).await, 2);
}

#[actix_web::test]
async fn forbidden_update_with_invalid_body_is_403() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    let target = create_user(
        &app,
        &owner,
        json!({"email": "target@example.com", "name": "Target"}),
    )
    .await;
    let path = user_path(target["id"].as_str().unwrap());
    let mut wrong = Vec::new();
    for (method, body) in [
        (Method::PATCH, json!({"email": "not-an-email"})),
        (Method::PATCH, json!({"name": "x".repeat(61)})),
        (Method::PATCH, json!({"name": null})),
        (Method::PATCH, json!({"active": "maybe"})),
        (Method::PATCH, json!({"title": "boss"})),
        (Method::PATCH, json!({"password": "short"})),
        (Method::PATCH, json!({"labels": ["abcdefghijkm"]})),
        (Method::PATCH, json!({"user_roles": []})),
        (Method::PUT, json!({})),
        (Method::PUT, json!({"email": "bad", "name": ""})),
    ] {
        let reply = app
            .call(method.clone(), &path, Some(&token), Some(body.clone()))
            .await;
        if reply.status != StatusCode::FORBIDDEN || reply.body != json!({"detail": FORBIDDEN}) {
            wrong.push(format!("{method} {body}: {} {}", reply.status, reply.body));
        }
    }
    assert!(
        wrong.is_empty(),
        "EMPLOYEE writes with invalid bodies must be 403:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        get_user(&app, &owner, target["id"].as_str().unwrap()).await,
        target
    );
}

#[actix_web::test]
async fn admin_manages_non_owners() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (admin_id, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;

    let created = create_user(
        &app,
        &admin,
        json!({"email": "new@example.com", "name": "New", "password": PASSWORD,
               "user_roles": [account_role("VIEWER")]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["changed_by"]["id"], admin_id.as_str());
    assert_eq!(role_names(&created), ["VIEWER"]);

    let patched = app
        .patch(
            &user_path(&id),
            &admin,
            json!({"name": "Renamed", "user_roles": [account_role("ADMIN")]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "Renamed");
    assert_eq!(role_names(&patched.body), ["ADMIN"]);

    let put = app
        .put(
            &user_path(&id),
            &admin,
            json!({"email": "new2@example.com", "name": "Put", "active": false}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["email"], "new2@example.com");
    assert_eq!(put.body["state"], "DEACTIVATED");

    let deleted = app.delete(&user_path(&id), &admin).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_not_found(&app.get(&user_path(&id), &owner).await, "deleted");
}

#[actix_web::test]
async fn admin_cannot_act_on_the_owner() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let owner_id = app.id_of(&owner, OWNER_EMAIL).await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let before = get_user(&app, &owner, &owner_id).await;
    let path = user_path(&owner_id);

    assert_forbidden(
        &app.patch(&path, &admin, json!({"name": "Pwned"})).await,
        "PATCH owner name",
    );
    assert_forbidden(
        &app.patch(&path, &admin, json!({"active": false})).await,
        "PATCH owner active",
    );
    assert_forbidden(
        &app.patch(&path, &admin, json!({"password": "pwned-pass-1"}))
            .await,
        "PATCH owner password",
    );
    assert_forbidden(
        &app.patch(
            &path,
            &admin,
            json!({"user_roles": [account_role("EMPLOYEE")]}),
        )
        .await,
        "demote owner",
    );
    assert_forbidden(
        &app.put(
            &path,
            &admin,
            json!({"email": OWNER_EMAIL, "name": "Pwned"}),
        )
        .await,
        "PUT owner",
    );
    assert_forbidden(&app.delete(&path, &admin).await, "DELETE owner");
    // Authorization before validation, on the owner too.
    assert_forbidden(
        &app.patch(&path, &admin, json!({"name": "", "email": "bad"}))
            .await,
        "PATCH owner with an invalid body",
    );

    let after = get_user(&app, &owner, &owner_id).await;
    assert_eq!(after["name"], before["name"]);
    assert_eq!(after["active"], true);
    assert_eq!(after["changed"], before["changed"]);
    assert_eq!(role_names(&after), ["OWNER"]);
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
}

#[actix_web::test]
async fn admin_cannot_grant_owner_or_billing() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let count = user_count(&app, &owner).await;

    for roles in [
        json!([account_role("OWNER")]),
        json!([account_role("EMPLOYEE"), account_role("BILLING")]),
    ] {
        assert_forbidden(
            &app.post(
                "/users/",
                &admin,
                json!({"email": "up@example.com", "name": "Up", "user_roles": roles}),
            )
            .await,
            &format!("POST with {roles}"),
        );
    }
    assert_eq!(user_count(&app, &owner).await, count);

    let target = create_user(&app, &admin, json!({"email": "t@example.com", "name": "T"})).await;
    let path = user_path(target["id"].as_str().unwrap());
    for roles in [
        json!([account_role("OWNER")]),
        json!([account_role("EMPLOYEE"), account_role("BILLING")]),
    ] {
        assert_forbidden(
            &app.patch(&path, &admin, json!({"user_roles": roles})).await,
            &format!("PATCH with {roles}"),
        );
    }
    let after = get_user(&app, &owner, target["id"].as_str().unwrap()).await;
    assert_eq!(role_names(&after), ["EMPLOYEE"]);
    assert_eq!(after["is_billing_admin"], false);

    // The owner may grant both.
    let billed = app
        .patch(
            &path,
            &owner,
            json!({"user_roles": [account_role("EMPLOYEE"), account_role("BILLING")]}),
        )
        .await;
    assert_eq!(billed.status, StatusCode::OK, "{}", billed.body);
    assert_eq!(billed.body["is_billing_admin"], true);
    // And then an ADMIN cannot remove BILLING either.
    assert_forbidden(
        &app.patch(
            &path,
            &admin,
            json!({"user_roles": [account_role("EMPLOYEE")]}),
        )
        .await,
        "ADMIN removes BILLING",
    );
}

// ---------------------------------------------------------------- POST validation

/// POSTs `body` as the owner and expects exactly `expected` as a 400 body;
/// no user may have been created.
async fn assert_create_rejected(app: &TestApp, token: &str, body: Value, expected: Value) {
    let before = user_count(app, token).await;
    let reply = app.post("/users/", token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "POST {body}: {}",
        reply.body
    );
    assert_eq!(reply.body, expected, "POST {body}");
    assert_eq!(
        user_count(app, token).await,
        before,
        "POST {body} created a user"
    );
}

#[actix_web::test]
async fn create_requires_email_and_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"name": "No email"}),
        json!({"email": [REQUIRED]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "noname@example.com"}),
        json!({"name": [REQUIRED]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({}),
        json!({"email": [REQUIRED], "name": [REQUIRED]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "", "name": "  "}),
        json!({"email": ["This field may not be blank."], "name": ["This field may not be blank."]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": null, "name": "Null"}),
        json!({"email": ["This field may not be null."]}),
    )
    .await;
}

#[actix_web::test]
async fn create_rejects_an_invalid_email() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for email in ["not-an-email", "a@", "@example.com", "a b@example.com"] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": email, "name": "Bad"}),
            json!({"email": ["Enter a valid email address."]}),
        )
        .await;
    }
}

#[actix_web::test]
async fn create_rejects_a_duplicate_email_case_insensitively() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_user(
        &app,
        &token,
        json!({"email": "ann@example.com", "name": "Ann"}),
    )
    .await;
    for email in ["ann@example.com", "ANN@example.com", "Ann@EXAMPLE.COM"] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": email, "name": "Ann again"}),
            json!({"email": ["user with this email already exists."]}),
        )
        .await;
    }
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "OWNER@example.com", "name": "Owner again"}),
        json!({"email": ["user with this email already exists."]}),
    )
    .await;
}

#[actix_web::test]
async fn update_rejects_a_duplicate_email_case_insensitively() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_user(
        &app,
        &token,
        json!({"email": "ann@example.com", "name": "Ann"}),
    )
    .await;
    let bob = create_user(
        &app,
        &token,
        json!({"email": "bob@example.com", "name": "Bob"}),
    )
    .await;
    let path = user_path(bob["id"].as_str().unwrap());
    let reply = app
        .patch(&path, &token, json!({"email": "ANN@example.com"}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"email": ["user with this email already exists."]})
    );
    // Changing only the case of one's own email is fine.
    let own = app
        .patch(&path, &token, json!({"email": "BOB@example.com"}))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.body["email"], "BOB@example.com");
}

#[actix_web::test]
async fn the_same_email_may_exist_in_another_organization() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    create_user(
        &app,
        &token,
        json!({"email": "shared@example.com", "name": "Here"}),
    )
    .await;
    create_user(
        &app,
        &other,
        json!({"email": "Shared@example.com", "name": "There"}),
    )
    .await;
}

#[actix_web::test]
async fn create_rejects_a_name_over_60_characters() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "long@example.com", "name": "n".repeat(61)}),
        json!({"name": ["Ensure this field has no more than 60 characters."]}),
    )
    .await;
    let ok = create_user(
        &app,
        &token,
        json!({"email": "long@example.com", "name": "é".repeat(60)}),
    )
    .await;
    assert_eq!(ok["name"], "é".repeat(60));
}

#[actix_web::test]
async fn create_rejects_a_title_outside_the_enum() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for title in ["CEO", "janitor", " dev"] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": "t@example.com", "name": "T", "title": title}),
            json!({"title": [format!("\"{title}\" is not a valid choice.")]}),
        )
        .await;
    }
    for (i, title) in [
        "ceo", "cto", "cso", "seceng", "dev", "devop", "manager", "other", "",
    ]
    .into_iter()
    .enumerate()
    {
        let user = create_user(
            &app,
            &token,
            json!({"email": format!("t{i}@example.com"), "name": "T", "title": title}),
        )
        .await;
        assert_eq!(user["title"], title);
    }
}

#[actix_web::test]
async fn create_validates_kind_case_insensitively() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "k@example.com", "name": "K", "kind": "intern"}),
        json!({"kind": ["\"intern\" is not a valid choice."]}),
    )
    .await;
    for (i, (given, stored)) in [
        ("Contractor", "contractor"),
        ("EMPLOYEE", "employee"),
        ("service_account", "service_account"),
        ("Service_Account", "service_account"),
    ]
    .into_iter()
    .enumerate()
    {
        let user = create_user(
            &app,
            &token,
            json!({"email": format!("k{i}@example.com"), "name": "K", "kind": given}),
        )
        .await;
        assert_eq!(user["kind"], stored, "{given}");
        let id = user["id"].as_str().unwrap();
        assert_eq!(get_user(&app, &token, id).await["kind"], stored);
    }
    let none = create_user(
        &app,
        &token,
        json!({"email": "knull@example.com", "name": "K", "kind": null}),
    )
    .await;
    assert!(none["kind"].is_null());
}

#[actix_web::test]
async fn create_rejects_a_position_over_255_characters() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "p@example.com", "name": "P", "position": "p".repeat(256)}),
        json!({"position": ["Ensure this field has no more than 255 characters."]}),
    )
    .await;
    let ok = create_user(
        &app,
        &token,
        json!({"email": "p@example.com", "name": "P", "position": "p".repeat(255)}),
    )
    .await;
    assert_eq!(ok["position"], "p".repeat(255));
}

#[actix_web::test]
async fn create_validates_contract_dates() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for bad in [
        "yesterday",
        "2024-13-01",
        "31/12/2024",
        "2024-01-01T25:00:00Z",
    ] {
        let before = user_count(&app, &token).await;
        let reply = app
            .post(
                "/users/",
                &token,
                json!({"email": "c@example.com", "name": "C", "contract_start_date": bad}),
            )
            .await;
        assert_field_error(&reply, "contract_start_date", bad);
        assert_eq!(user_count(&app, &token).await, before);
        let reply = app
            .post(
                "/users/",
                &token,
                json!({"email": "c@example.com", "name": "C", "contract_end_date": bad}),
            )
            .await;
        assert_field_error(&reply, "contract_end_date", bad);
    }
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "c@example.com", "name": "C",
               "contract_start_date": "2025-06-01T00:00:00Z",
               "contract_end_date": "2025-01-01T00:00:00Z"}),
        json!({"contract_end_date": ["The contract cannot end before it starts."]}),
    )
    .await;
    let ok = create_user(
        &app,
        &token,
        json!({"email": "c@example.com", "name": "C",
               "contract_start_date": "2025-01-01T02:00:00+02:00",
               "contract_end_date": "2025-12-31"}),
    )
    .await;
    assert_eq!(ok["contract_start_date"], "2025-01-01T00:00:00.000000Z");
    assert_eq!(ok["contract_end_date"], "2025-12-31T00:00:00.000000Z");
}

#[actix_web::test]
async fn create_rejects_a_bad_additional_email() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let before = user_count(&app, &token).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "a@example.com", "name": "A",
                   "additional_email_addresses": ["ok@example.com", "not-an-email"]}),
        )
        .await;
    assert_field_error(&reply, "additional_email_addresses", "bad additional email");
    assert!(
        reply.body["additional_email_addresses"]
            .to_string()
            .contains("Enter a valid email address."),
        "{}",
        reply.body
    );
    assert_eq!(reply.body.as_object().unwrap().len(), 1, "{}", reply.body);
    assert_eq!(user_count(&app, &token).await, before);

    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "a@example.com", "name": "A",
                   "additional_email_addresses": "ok@example.com"}),
        )
        .await;
    assert_field_error(&reply, "additional_email_addresses", "not a list");

    let ok = create_user(
        &app,
        &token,
        json!({"email": "a@example.com", "name": "A",
               "additional_email_addresses": ["a.alt@example.com", "A2@Example.com"]}),
    )
    .await;
    assert_eq!(
        ok["additional_email_addresses"],
        json!(["a.alt@example.com", "A2@example.com"])
    );
}

#[actix_web::test]
async fn create_enforces_the_password_policy() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "pw@example.com", "name": "Pw", "password": "short1!"}),
        json!({"password": ["This password is too short. It must contain at least 10 characters."]}),
    )
    .await;
    for letters_only in ["onlyletterss", "letters and spaces"] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": "pw@example.com", "name": "Pw", "password": letters_only}),
            json!({"password": ["This password must contain at least one digit or symbol."]}),
        )
        .await;
    }
    let ok = create_user(
        &app,
        &token,
        json!({"email": "pw@example.com", "name": "Pw", "password": "letters-and-dash"}),
    )
    .await;
    assert_eq!(ok["state"], "ACTIVE");
    app.login("pw@example.com", "letters-and-dash").await;
}

#[actix_web::test]
async fn create_handles_json_types_like_drf() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    // A number is not a string (API.md: wrong types are 400), so the
    // OpenAPI types are the whole truth (schemathesis checks they are).
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "num@example.com", "name": 5}),
        json!({"name": ["Not a valid string."]}),
    )
    .await;

    assert_create_rejected(
        &app,
        &token,
        json!({"email": "b@example.com", "name": "B", "active": "maybe"}),
        json!({"active": ["Must be a valid boolean."]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "b@example.com", "name": "B", "active": 2}),
        json!({"active": ["Must be a valid boolean."]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "b@example.com", "name": true}),
        json!({"name": ["Not a valid string."]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": ["b@example.com"], "name": {"first": "B"}}),
        json!({"email": ["Not a valid string."], "name": ["Not a valid string."]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "b@example.com", "name": "B", "title": null}),
        json!({"title": ["This field may not be null."]}),
    )
    .await;
    let before = user_count(&app, &token).await;
    for (field, value) in [
        ("labels", json!("abc")),
        ("user_roles", json!({"role": "ADMIN"})),
    ] {
        let reply = app
            .post(
                "/users/",
                &token,
                json!({"email": "b@example.com", "name": "B", field: value}),
            )
            .await;
        assert_field_error(&reply, field, field);
    }
    assert_eq!(user_count(&app, &token).await, before);

    // Booleans accept their documented spellings.
    for (i, (raw, active)) in [
        (json!(false), false),
        (json!("False"), false),
        (json!("0"), false),
        (json!(0), false),
        (json!("True"), true),
        (json!(1), true),
    ]
    .into_iter()
    .enumerate()
    {
        let user = create_user(
            &app,
            &token,
            json!({"email": format!("bool{i}@example.com"), "name": "B", "active": raw}),
        )
        .await;
        assert_eq!(user["active"], active, "{raw}");
    }
}

#[actix_web::test]
async fn create_rejects_malformed_json() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = Reply::from(
        app.client
            .post(app.url("/users/"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("JSON parse error - "), "{}", reply.body);
    assert_eq!(user_count(&app, &token).await, 1);
}

#[actix_web::test]
async fn create_requires_exactly_one_membership_role() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for roles in [
        json!([]),
        json!([account_role("BILLING")]),
        json!([account_role("ADMIN"), account_role("EMPLOYEE")]),
        json!([account_role("OWNER"), account_role("VIEWER")]),
    ] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": "r@example.com", "name": "R", "user_roles": roles}),
            json!({"user_roles": [MEMBERSHIP_REQUIRED]}),
        )
        .await;
    }
}

#[actix_web::test]
async fn create_rejects_owner_at_team_tier() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let before = user_count(&app, &token).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "r@example.com", "name": "R",
                   "user_roles": [account_role("EMPLOYEE"),
                                  {"role": "OWNER", "scope": {"tier": "team"}}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let items = reply.body["user_roles"]
        .as_array()
        .unwrap_or_else(|| panic!("per-item errors: {}", reply.body));
    assert_eq!(items.len(), 2, "{}", reply.body);
    assert_eq!(items[0], json!({}));
    assert_eq!(
        items[1]["role"],
        json!(["OWNER can only be granted at account tier."]),
        "{}",
        reply.body
    );
    assert_eq!(user_count(&app, &token).await, before);
}

#[actix_web::test]
async fn create_rejects_an_unknown_role() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "r@example.com", "name": "R",
               "user_roles": [account_role("SUPERUSER")]}),
        json!({"user_roles": [{"role": ["Invalid pk \"SUPERUSER\" - object does not exist."]}]}),
    )
    .await;
    // Built-in names are uppercase.
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "r@example.com", "name": "R",
               "user_roles": [account_role("admin")]}),
        json!({"user_roles": [{"role": ["Invalid pk \"admin\" - object does not exist."]}]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "r@example.com", "name": "R",
               "user_roles": [{"role": {"id": "abcdefghijkm"}, "scope": {"tier": "account"}}]}),
        json!({"user_roles": [{"role": ["Invalid pk \"abcdefghijkm\" - object does not exist."]}]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "r@example.com", "name": "R",
               "user_roles": [{"scope": {"tier": "account"}}]}),
        json!({"user_roles": [{"role": [REQUIRED]}]}),
    )
    .await;
}

#[actix_web::test]
async fn create_rejects_an_unknown_label() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "l@example.com", "name": "L", "labels": ["abcdefghijkm"]}),
        json!({"labels": ["Invalid pk \"abcdefghijkm\" - object does not exist."]}),
    )
    .await;
    let before = user_count(&app, &token).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "l@example.com", "name": "L", "labels": [{"id": "0OIl"}]}),
        )
        .await;
    assert_field_error(&reply, "labels", "malformed label id");
    assert_eq!(user_count(&app, &token).await, before);
}

#[actix_web::test]
async fn a_failing_create_reports_every_bad_field_at_once() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let before = user_count(&app, &token).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "bad", "name": "n".repeat(61), "title": "boss",
                   "kind": "robot", "active": "maybe", "password": "short"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    for field in ["email", "name", "title", "kind", "active", "password"] {
        assert!(reply.body.get(field).is_some(), "{field}: {}", reply.body);
    }
    assert_eq!(user_count(&app, &token).await, before);
}

// ---------------------------------------------------------------- POST defaults

#[actix_web::test]
async fn create_defaults() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let owner = get_user(&app, &token, &owner_id).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "def@example.com", "name": "Def"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let user = &reply.body;
    let id = user["id"].as_str().unwrap();
    assert_public_id(&user["id"]);
    assert_eq!(
        reply.header("location"),
        Some(format!("/users/{id}/").as_str())
    );
    assert_eq!(user["active"], true);
    assert_eq!(user["state"], "PENDING");
    assert_eq!(user["source"], "MANUAL");
    assert_eq!(user["is_apiuser"], false);
    assert_eq!(user["mfa_enabled"], false);
    assert_eq!(user["is_billing_admin"], false);
    assert_eq!(user["title"], "");
    assert_eq!(user["labels"], json!([]));
    assert!(user["last_login"].is_null());
    assert_eq!(
        user["changed_by"],
        json!({"id": owner_id, "email": OWNER_EMAIL, "name": owner["name"]})
    );
    assert_eq!(user["changed"], user["created"]);
    let roles = user["user_roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{user}");
    assert_eq!(roles[0]["role"]["name"], "EMPLOYEE");
    assert_eq!(roles[0]["scope"]["tier"], "account");
    assert!(roles[0]["team"].is_null());
    assert!(roles[0]["target"].is_null());
    // What POST answered is what GET answers.
    assert_eq!(&get_user(&app, &token, id).await, user);

    let with_password = create_user(
        &app,
        &token,
        json!({"email": "pwd@example.com", "name": "Pwd", "password": PASSWORD}),
    )
    .await;
    assert_eq!(with_password["state"], "ACTIVE");

    let inactive = create_user(
        &app,
        &token,
        json!({"email": "off@example.com", "name": "Off", "password": PASSWORD, "active": false}),
    )
    .await;
    assert_eq!(inactive["active"], false);
    assert_eq!(inactive["state"], "DEACTIVATED");
    let reply = login_reply(&app, "off@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn create_stores_email_as_given_and_trims_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_user(
        &app,
        &token,
        json!({"email": " Mixed.Case@Example.COM ", "name": "  Spaced  "}),
    )
    .await;
    assert_eq!(user["email"], "Mixed.Case@example.com");
    assert_eq!(user["name"], "Spaced");
}

#[actix_web::test]
async fn create_accepts_roles_by_name_and_by_id() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let admin = create_user(
        &app,
        &token,
        json!({"email": "admin@example.com", "name": "Admin",
               "user_roles": [{"role": "ADMIN", "scope": {"tier": "account"}}]}),
    )
    .await;
    assert_eq!(role_names(&admin), ["ADMIN"]);
    let admin_role_id = admin["user_roles"][0]["role"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(admin_role_id, ADMIN_ROLE_ID);

    let by_object = create_user(
        &app,
        &token,
        json!({"email": "byid@example.com", "name": "By id",
               "user_roles": [{"role": {"id": admin_role_id}, "scope": {"tier": "account"}}]}),
    )
    .await;
    assert_eq!(role_names(&by_object), ["ADMIN"]);
    assert_eq!(by_object["user_roles"][0]["role"]["id"], ADMIN_ROLE_ID);

    let by_string = create_user(
        &app,
        &token,
        json!({"email": "byid2@example.com", "name": "By id 2",
               "user_roles": [{"role": admin_role_id}]}),
    )
    .await;
    assert_eq!(role_names(&by_string), ["ADMIN"]);
    assert_eq!(by_string["user_roles"][0]["scope"]["tier"], "account");

    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let owner_role_id = get_user(&app, &token, &owner_id).await["user_roles"][0]["role"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second_owner = create_user(
        &app,
        &token,
        json!({"email": "owner2@example.com", "name": "Owner 2",
               "user_roles": [{"role": {"id": owner_role_id}, "scope": {"tier": "account"}}]}),
    )
    .await;
    assert_eq!(role_names(&second_owner), ["OWNER"]);
    assert_eq!(second_owner["is_billing_admin"], true);
}

#[actix_web::test]
async fn target_tier_alias_needs_a_target() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "t@example.com", "name": "T",
               "user_roles": [account_role("EMPLOYEE"),
                              {"role": "VIEWER", "scope": {"tier": "target"}}]}),
        json!({"user_roles": [{}, {"target": ["A scope-tier role needs a target."]}]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "t@example.com", "name": "T",
               "user_roles": [account_role("EMPLOYEE"),
                              {"role": "VIEWER", "scope": {"tier": "scope"}}]}),
        json!({"user_roles": [{}, {"target": ["A scope-tier role needs a target."]}]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "t@example.com", "name": "T",
               "user_roles": [account_role("EMPLOYEE"),
                              {"role": "VIEWER", "scope": {"tier": "team"}}]}),
        json!({"user_roles": [{}, {"team": ["A team-tier role needs a team."]}]}),
    )
    .await;
    assert_create_rejected(
        &app,
        &token,
        json!({"email": "t@example.com", "name": "T",
               "user_roles": [{"role": "EMPLOYEE", "scope": {"tier": "galaxy"}}]}),
        json!({"user_roles": [{"scope": ["\"galaxy\" is not a valid choice."]}]}),
    )
    .await;
    // The document's `tier` is a string: any other JSON value is refused.
    for (tier, shown) in [(json!(5), "5"), (json!(null), "null"), (json!({}), "{}")] {
        assert_create_rejected(
            &app,
            &token,
            json!({"email": "t@example.com", "name": "T",
                   "user_roles": [{"role": "EMPLOYEE", "scope": {"tier": tier}}]}),
            json!({"user_roles": [{"scope": [format!("\"{shown}\" is not a valid choice.")]}]}),
        )
        .await;
    }
    // The tier alone is a scope too, as documented.
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "t@example.com", "name": "T",
                   "user_roles": [{"role": "EMPLOYEE", "scope": "account"}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["user_roles"][0]["scope"]["tier"], "account");
}

#[actix_web::test]
async fn create_rejects_a_duplicated_role_assignment() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let before = user_count(&app, &token).await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "d@example.com", "name": "D",
                   "user_roles": [account_role("EMPLOYEE"), account_role("BILLING"),
                                  account_role("BILLING")]}),
        )
        .await;
    assert_field_error(&reply, "user_roles", "duplicated BILLING");
    assert_eq!(user_count(&app, &token).await, before);
}

// ---------------------------------------------------------------- PUT / PATCH

async fn full_user(app: &TestApp, token: &str) -> Value {
    create_user(
        app,
        token,
        json!({
            "email": "full@example.com",
            "name": "Full",
            "title": "cto",
            "kind": "contractor",
            "position": "Head of things",
            "additional_email_addresses": ["full.alt@example.com"],
            "contract_start_date": "2025-01-01T00:00:00Z",
            "contract_end_date": "2026-01-01T00:00:00Z",
            "user_roles": [account_role("VIEWER")],
        }),
    )
    .await
}

#[actix_web::test]
async fn put_requires_email_and_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let path = user_path(user["id"].as_str().unwrap());
    for (body, expected) in [
        (json!({"name": "Only name"}), json!({"email": [REQUIRED]})),
        (
            json!({"email": "full@example.com"}),
            json!({"name": [REQUIRED]}),
        ),
        (json!({}), json!({"email": [REQUIRED], "name": [REQUIRED]})),
        (
            json!({"title": "dev"}),
            json!({"email": [REQUIRED], "name": [REQUIRED]}),
        ),
    ] {
        let reply = app.put(&path, &token, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "PUT {body}: {}",
            reply.body
        );
        assert_eq!(reply.body, expected, "PUT {body}");
    }
    let after = get_user(&app, &token, user["id"].as_str().unwrap()).await;
    assert_eq!(after, user);
}

#[actix_web::test]
async fn put_keeps_omitted_optional_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    let reply = app
        .put(
            &user_path(id),
            &token,
            json!({"email": "full2@example.com", "name": "Full Two"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let put = reply.body;
    assert_eq!(put["email"], "full2@example.com");
    assert_eq!(put["name"], "Full Two");
    for key in [
        "title",
        "kind",
        "position",
        "additional_email_addresses",
        "contract_start_date",
        "contract_end_date",
        "user_roles",
        "labels",
        "active",
        "state",
        "created",
    ] {
        assert_eq!(put[key], user[key], "{key} kept by PUT");
    }
    assert_eq!(get_user(&app, &token, id).await, put);
}

#[actix_web::test]
async fn patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    let reply = app
        .patch(&user_path(id), &token, json!({"position": "Chief"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let patched = reply.body;
    assert_eq!(patched["position"], "Chief");
    for key in [
        "email",
        "name",
        "title",
        "kind",
        "additional_email_addresses",
        "contract_start_date",
        "contract_end_date",
        "user_roles",
        "labels",
        "active",
        "state",
        "created",
        "id",
    ] {
        assert_eq!(patched[key], user[key], "{key} kept by PATCH");
    }
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"title": "", "additional_email_addresses": []}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["title"], "");
    assert_eq!(reply.body["additional_email_addresses"], json!([]));
    assert_eq!(reply.body["position"], "Chief");
    assert_eq!(reply.body["kind"], "contractor");
}

#[actix_web::test]
async fn patch_validates_fields_like_post() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    let path = user_path(id);
    for (body, field) in [
        (json!({"email": "bad"}), "email"),
        (json!({"name": ""}), "name"),
        (json!({"name": null}), "name"),
        (json!({"name": "n".repeat(61)}), "name"),
        (json!({"title": "boss"}), "title"),
        (json!({"kind": "robot"}), "kind"),
        (json!({"active": "maybe"}), "active"),
        (json!({"position": "p".repeat(256)}), "position"),
        (json!({"contract_end_date": "later"}), "contract_end_date"),
        (
            json!({"contract_start_date": "soon"}),
            "contract_start_date",
        ),
        (json!({"password": "short"}), "password"),
        (json!({"user_roles": []}), "user_roles"),
        (json!({"labels": ["abcdefghijkm"]}), "labels"),
    ] {
        let reply = app.patch(&path, &token, body.clone()).await;
        assert_field_error(&reply, field, &format!("PATCH {body}"));
    }
    assert_eq!(get_user(&app, &token, id).await, user);
}

#[actix_web::test]
async fn patch_cannot_end_a_contract_before_its_stored_start() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    // Stored: 2025-01-01 to 2026-01-01.
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"contract_end_date": "2024-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"contract_end_date": ["The contract cannot end before it starts."]})
    );
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"contract_start_date": "2027-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(get_user(&app, &token, id).await, user);
}

#[actix_web::test]
async fn null_clears_nullable_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"position": null, "kind": null,
                   "contract_start_date": null, "contract_end_date": null}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for key in [
        "position",
        "kind",
        "contract_start_date",
        "contract_end_date",
    ] {
        assert!(reply.body[key].is_null(), "{key}: {}", reply.body);
    }
    assert_eq!(reply.body["title"], "cto");
    let got = get_user(&app, &token, id).await;
    assert_eq!(got, reply.body);

    // PUT clears them the same way.
    let user = app
        .patch(
            &user_path(id),
            &token,
            json!({"position": "Again", "kind": "employee"}),
        )
        .await
        .body;
    assert_eq!(user["position"], "Again");
    let reply = app
        .put(
            &user_path(id),
            &token,
            json!({"email": "full@example.com", "name": "Full", "position": null, "kind": null}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body["position"].is_null());
    assert!(reply.body["kind"].is_null());
}

#[actix_web::test]
async fn read_only_fields_sent_are_ignored() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_user(
        &app,
        &token,
        json!({"email": "ro@example.com", "name": "Ro"}),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    let read_only = json!({
        "id": "abcdefghijkm",
        "is_billing_admin": true,
        "created": "2000-01-01T00:00:00.000000Z",
        "changed": "2000-01-01T00:00:00.000000Z",
        "changed_by": {"id": "abcdefghijkm", "email": "x@example.com", "name": "X"},
        "last_login": "2000-01-01T00:00:00.000000Z",
        "is_apiuser": true,
        "mfa_enabled": true,
        "state": "ACTIVE",
        "source": "SCIM",
    });
    let check = |after: &Value| {
        assert_eq!(after["id"], user["id"]);
        assert_eq!(after["is_billing_admin"], false);
        assert_eq!(after["created"], user["created"]);
        assert_ne!(after["changed"], "2000-01-01T00:00:00.000000Z");
        assert_eq!(after["changed_by"], user["changed_by"]);
        assert!(after["last_login"].is_null());
        assert_eq!(after["is_apiuser"], false);
        assert_eq!(after["mfa_enabled"], false);
        assert_eq!(after["state"], "PENDING");
        assert_eq!(after["source"], "MANUAL");
    };

    let mut patch = read_only.clone();
    patch["name"] = json!("Ro patched");
    let reply = app.patch(&user_path(id), &token, patch).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Ro patched");
    check(&reply.body);

    let mut put = read_only.clone();
    put["email"] = json!("ro@example.com");
    put["name"] = json!("Ro put");
    let reply = app.put(&user_path(id), &token, put).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Ro put");
    check(&reply.body);
    check(&get_user(&app, &token, id).await);
    assert_not_found(
        &app.get(&user_path("abcdefghijkm"), &token).await,
        "sent id",
    );

    // A created user ignores them too.
    let mut post = read_only;
    post["email"] = json!("ro2@example.com");
    post["name"] = json!("Ro 2");
    let created = create_user(&app, &token, post).await;
    assert_ne!(created["id"], "abcdefghijkm");
    assert_eq!(created["is_billing_admin"], false);
    assert_eq!(created["is_apiuser"], false);
    assert_eq!(created["state"], "PENDING");
    assert_eq!(created["source"], "MANUAL");
    assert!(created["last_login"].is_null());
    assert_ne!(created["created"], "2000-01-01T00:00:00.000000Z");
}

#[actix_web::test]
async fn changed_and_changed_by_follow_each_write() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (a_id, a_token) = app.member(&owner, "admin.a@example.com", "ADMIN").await;
    let (b_id, b_token) = app.member(&owner, "admin.b@example.com", "ADMIN").await;
    let user = create_user(
        &app,
        &a_token,
        json!({"email": "u@example.com", "name": "U"}),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(
        user["changed_by"],
        json!({"id": a_id, "email": "admin.a@example.com", "name": "admin.a"})
    );

    let by_b = app
        .patch(&user_path(id), &b_token, json!({"title": "dev"}))
        .await;
    assert_eq!(by_b.status, StatusCode::OK, "{}", by_b.body);
    assert_eq!(
        by_b.body["changed_by"],
        json!({"id": b_id, "email": "admin.b@example.com", "name": "admin.b"})
    );
    assert!(
        by_b.body["changed"].as_str().unwrap() > user["changed"].as_str().unwrap(),
        "changed moves forward: {} then {}",
        user["changed"],
        by_b.body["changed"]
    );
    assert_eq!(by_b.body["created"], user["created"]);

    let by_a = app
        .put(
            &user_path(id),
            &a_token,
            json!({"email": "u@example.com", "name": "U again"}),
        )
        .await;
    assert_eq!(by_a.status, StatusCode::OK, "{}", by_a.body);
    assert_eq!(by_a.body["changed_by"]["id"], a_id.as_str());
    assert!(by_a.body["changed"].as_str().unwrap() > by_b.body["changed"].as_str().unwrap());

    // A role change is a write too.
    let by_owner = app
        .patch(
            &user_path(id),
            &owner,
            json!({"user_roles": [account_role("AUDITOR")]}),
        )
        .await;
    assert_eq!(by_owner.status, StatusCode::OK, "{}", by_owner.body);
    assert_eq!(by_owner.body["changed_by"]["email"], OWNER_EMAIL);
    assert_eq!(role_names(&by_owner.body), ["AUDITOR"]);
    assert_eq!(get_user(&app, &owner, id).await, by_owner.body);
}

#[actix_web::test]
async fn a_failed_write_changes_nothing() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = full_user(&app, &token).await;
    let id = user["id"].as_str().unwrap();
    // One good field and one bad field: neither is applied.
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"name": "Changed", "title": "boss"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"title": ["\"boss\" is not a valid choice."]})
    );
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"name": "Changed", "email": OWNER_EMAIL}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"email": ["user with this email already exists."]})
    );
    assert_eq!(get_user(&app, &token, id).await, user);
}

#[actix_web::test]
async fn patch_replaces_user_roles() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_user(&app, &token, json!({"email": "r@example.com", "name": "R"})).await;
    let id = user["id"].as_str().unwrap();
    let membership_id = user["user_roles"][0]["id"].clone();
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"user_roles": [account_role("EMPLOYEE"), account_role("BILLING")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut names = role_names(&reply.body);
    names.sort();
    assert_eq!(names, ["BILLING", "EMPLOYEE"]);
    // The assignment that stays keeps its id.
    let kept = reply.body["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"]["name"] == "EMPLOYEE")
        .unwrap()["id"]
        .clone();
    assert_eq!(kept, membership_id);
    let reply = app
        .patch(
            &user_path(id),
            &token,
            json!({"user_roles": [account_role("VIEWER")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(role_names(&reply.body), ["VIEWER"]);
    assert_eq!(reply.body["is_billing_admin"], false);
}

// ---------------------------------------------------------------- passwords and tokens

#[actix_web::test]
async fn password_set_by_an_admin_lets_the_user_log_in() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let user = create_user(
        &app,
        &admin,
        json!({"email": "pending@example.com", "name": "Pending"}),
    )
    .await;
    assert_eq!(user["state"], "PENDING");
    let reply = login_reply(&app, "pending@example.com", "whatever-pass-1").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    let id = user["id"].as_str().unwrap();
    let reply = app
        .patch(&user_path(id), &admin, json!({"password": "first-pass-1"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["state"], "ACTIVE");
    let token = app.login("pending@example.com", "first-pass-1").await;
    let me = app.get(&user_path(id), &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert!(me.body["last_login"].is_string(), "{}", me.body);
}

#[actix_web::test]
async fn changing_a_password_invalidates_earlier_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "m@example.com", "EMPLOYEE").await;
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);

    let reply = app
        .patch(
            &user_path(&id),
            &owner,
            json!({"password": "second-pass-2"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let stale = app.get("/users/", &token).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{}", stale.body);
    assert_eq!(stale.body, json!({"detail": "Invalid token."}));
    assert_eq!(stale.header("www-authenticate"), Some("JWT realm=\"api\""));

    let old = login_reply(&app, "m@example.com", PASSWORD).await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST, "{}", old.body);
    assert_eq!(old.body, json!({"non_field_errors": [BAD_CREDENTIALS]}));
    let fresh = app.login("m@example.com", "second-pass-2").await;
    assert_eq!(app.get("/users/", &fresh).await.status, StatusCode::OK);

    // A write that does not touch the password keeps tokens valid.
    let reply = app
        .patch(&user_path(&id), &owner, json!({"title": "dev"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(app.get("/users/", &fresh).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn deactivation_blocks_tokens_and_login_until_reactivated() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "m@example.com", "ADMIN").await;
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);

    let reply = app
        .patch(&user_path(&id), &owner, json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["active"], false);
    assert_eq!(reply.body["state"], "DEACTIVATED");

    let blocked = app.get("/users/", &token).await;
    assert_eq!(blocked.status, StatusCode::UNAUTHORIZED, "{}", blocked.body);
    assert_eq!(blocked.body, json!({"detail": "Invalid token."}));
    let blocked_write = app
        .post(
            "/users/",
            &token,
            json!({"email": "sneaky@example.com", "name": "Sneaky"}),
        )
        .await;
    assert_eq!(blocked_write.status, StatusCode::UNAUTHORIZED);

    let login = login_reply(&app, "m@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.body);
    assert_eq!(login.body, json!({"non_field_errors": [BAD_CREDENTIALS]}));

    // Deactivated users are still listed and readable.
    assert_eq!(get_user(&app, &owner, &id).await["state"], "DEACTIVATED");

    let reply = app
        .patch(&user_path(&id), &owner, json!({"active": true}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["state"], "ACTIVE");
    let fresh = app.login("m@example.com", PASSWORD).await;
    assert_eq!(app.get("/users/", &fresh).await.status, StatusCode::OK);
    // Tokens issued before the deactivation stay dead.
    assert_eq!(
        app.get("/users/", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(user_count(&app, &owner).await, 2);
}

#[actix_web::test]
async fn deactivation_by_put_also_blocks_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "m@example.com", "EMPLOYEE").await;
    let reply = app
        .put(
            &user_path(&id),
            &owner,
            json!({"email": "m@example.com", "name": "m", "active": "False"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["state"], "DEACTIVATED");
    assert_eq!(
        app.get("/users/", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- last owner

#[actix_web::test]
async fn the_last_owner_cannot_be_deactivated_demoted_or_deleted() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let before = get_user(&app, &token, &owner_id).await;
    let path = user_path(&owner_id);

    let reply = app.patch(&path, &token, json!({"active": false})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"active": [LAST_OWNER]}));

    let reply = app
        .put(
            &path,
            &token,
            json!({"email": OWNER_EMAIL, "name": "owner", "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"active": [LAST_OWNER]}));

    let reply = app
        .patch(
            &path,
            &token,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"user_roles": [LAST_OWNER]}));

    let reply = app.delete(&path, &token).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"non_field_errors": [LAST_OWNER]}));

    // Nothing happened: still the active OWNER, the token still works.
    let after = get_user(&app, &token, &owner_id).await;
    assert_eq!(after["active"], true);
    assert_eq!(after["state"], "ACTIVE");
    assert_eq!(role_names(&after), ["OWNER"]);
    assert_eq!(after["changed"], before["changed"]);
    assert_eq!(after["changed_by"], before["changed_by"]);
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
}

#[actix_web::test]
async fn an_owner_may_step_down_while_another_owner_remains() {
    let app = spawn_app().await;
    let first = app.owner_token().await;
    let first_id = app.id_of(&first, OWNER_EMAIL).await;
    let (second_id, second) = app.member(&first, "owner2@example.com", "OWNER").await;

    let reply = app
        .patch(
            &user_path(&first_id),
            &first,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(role_names(&reply.body), ["ADMIN"]);
    assert_eq!(reply.body["is_billing_admin"], false);

    // The second is now the last owner.
    let reply = app
        .patch(
            &user_path(&second_id),
            &second,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"user_roles": [LAST_OWNER]}));
    let reply = app
        .patch(&user_path(&second_id), &second, json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"active": [LAST_OWNER]}));
    let reply = app.delete(&user_path(&second_id), &second).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    // The first, now an ADMIN, may not touch an OWNER.
    assert_forbidden(
        &app.patch(
            &user_path(&second_id),
            &first,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await,
        "ADMIN demotes the OWNER",
    );
    assert_eq!(
        role_names(&get_user(&app, &first, &second_id).await),
        ["OWNER"]
    );
}

#[actix_web::test]
async fn an_owner_may_be_deleted_while_another_owner_remains() {
    let app = spawn_app().await;
    let first = app.owner_token().await;
    let first_id = app.id_of(&first, OWNER_EMAIL).await;
    let (second_id, second) = app.member(&first, "owner2@example.com", "OWNER").await;
    let reply = app.delete(&user_path(&first_id), &second).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let reply = app.delete(&user_path(&second_id), &second).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"non_field_errors": [LAST_OWNER]}));
}

#[actix_web::test]
async fn a_deactivated_owner_does_not_count_as_an_active_owner() {
    let app = spawn_app().await;
    let first = app.owner_token().await;
    let first_id = app.id_of(&first, OWNER_EMAIL).await;
    let second = create_user(
        &app,
        &first,
        json!({"email": "owner2@example.com", "name": "Owner 2", "password": PASSWORD,
               "user_roles": [account_role("OWNER")], "active": false}),
    )
    .await;
    assert_eq!(second["state"], "DEACTIVATED");
    let reply = app
        .patch(
            &user_path(&first_id),
            &first,
            json!({"user_roles": [account_role("ADMIN")]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"user_roles": [LAST_OWNER]}));
}

// ---------------------------------------------------------------- DELETE

#[actix_web::test]
async fn delete_removes_the_user() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "gone@example.com", "EMPLOYEE").await;
    assert_eq!(user_count(&app, &owner).await, 2);

    let reply = app.delete(&user_path(&id), &owner).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert!(reply.body.is_null(), "204 has no body: {}", reply.body);

    assert_not_found(&app.get(&user_path(&id), &owner).await, "GET after DELETE");
    assert_not_found(&app.delete(&user_path(&id), &owner).await, "DELETE again");
    assert_not_found(
        &app.patch(&user_path(&id), &owner, json!({"name": "Zombie"}))
            .await,
        "PATCH after DELETE",
    );
    assert_eq!(user_count(&app, &owner).await, 1);
    // The deleted user's token is dead, and the email is free again.
    assert_eq!(
        app.get("/users/", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let reply = login_reply(&app, "gone@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    create_user(
        &app,
        &owner,
        json!({"email": "gone@example.com", "name": "Back"}),
    )
    .await;
}

#[actix_web::test]
async fn deleting_a_user_keeps_changed_by_of_what_it_changed() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (a_id, a_token) = app.member(&owner, "admin.a@example.com", "ADMIN").await;
    let b = create_user(
        &app,
        &a_token,
        json!({"email": "b@example.com", "name": "B"}),
    )
    .await;
    let b_id = b["id"].as_str().unwrap();
    let a_as_author = json!({"id": a_id, "email": "admin.a@example.com", "name": "admin.a"});
    assert_eq!(b["changed_by"], a_as_author);

    let reply = app.delete(&user_path(&a_id), &owner).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_not_found(&app.get(&user_path(&a_id), &owner).await, "deleted A");

    let after = get_user(&app, &owner, b_id).await;
    assert_eq!(after["changed_by"], a_as_author);
    assert_eq!(after["changed"], b["changed"]);
    let list = app.get("/users/?search=b%40example.com", &owner).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["results"][0]["changed_by"], a_as_author);
}

// ---------------------------------------------------------------- list

#[actix_web::test]
async fn list_has_the_page_envelope_and_default_length() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_users(&app, &token, "u", 11, None).await;
    let reply = app.get("/users/", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let keys: Vec<&String> = reply.body.as_object().unwrap().keys().collect();
    for key in ["count", "page_total", "page", "length", "results"] {
        assert!(reply.body.get(key).is_some(), "{key} missing: {keys:?}");
    }
    assert_eq!(reply.body["count"], 12);
    assert_eq!(reply.body["page_total"], 2);
    assert_eq!(reply.body["page"], 1);
    assert_eq!(reply.body["length"], 10);
    assert_eq!(reply.body["results"].as_array().unwrap().len(), 10);
    for user in reply.body["results"].as_array().unwrap() {
        assert_public_id(&user["id"]);
        assert_eq!(user["is_apiuser"], false);
        assert!(user["user_roles"].is_array());
        assert_no_secrets(user);
    }
    let second = app.get("/users/?page=2", &token).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["page"], 2);
    assert_eq!(second.body["results"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn list_hides_the_system_actor() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.get("/users/", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 1);
    assert_eq!(reply.body["results"][0]["email"], OWNER_EMAIL);
    // The owner was written by the System actor, which is not a listed user.
    let system_id = reply.body["results"][0]["changed_by"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_not_found(&app.get(&user_path(&system_id), &token).await, "System");
}

#[actix_web::test]
async fn list_length_is_capped_and_validated() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.get("/users/?length=1000", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["length"], 100);
    let reply = app.get("/users/?length=100", &token).await;
    assert_eq!(reply.body["length"], 100);
    let reply = app.get("/users/?length=1", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["length"], 1);
    for bad in ["0", "-1", "abc", "1.5"] {
        let reply = app.get(&format!("/users/?length={bad}"), &token).await;
        assert_field_error(&reply, "length", &format!("length={bad}"));
        assert_eq!(reply.body.as_object().unwrap().len(), 1, "{}", reply.body);
    }
}

#[actix_web::test]
async fn invalid_pages_are_404() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_users(&app, &token, "u", 3, None).await;
    for page in ["0", "-1", "abc", "1.5", "2", "99"] {
        let reply = app.get(&format!("/users/?page={page}"), &token).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "page={page}: {}",
            reply.body
        );
        assert_eq!(
            reply.body,
            json!({"detail": "Invalid page."}),
            "page={page}"
        );
    }
    let reply = app.get("/users/?page=2&length=2", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["results"].as_array().unwrap().len(), 2);
    let reply = app.get("/users/?page=3&length=2", &token).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

#[actix_web::test]
async fn first_page_of_an_empty_search_is_empty() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.get("/users/?search=nobody-matches-this", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 0);
    assert_eq!(reply.body["page"], 1);
    assert_eq!(reply.body["results"], json!([]));
    let reply = app
        .get("/users/?search=nobody-matches-this&page=1", &token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app
        .get("/users/?search=nobody-matches-this&page=2", &token)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body, json!({"detail": "Invalid page."}));
}

#[actix_web::test]
async fn search_is_case_insensitive_on_name_and_email() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let alice = create_user(
        &app,
        &token,
        json!({"email": "alice@wonderland.org", "name": "Alice Liddell"}),
    )
    .await;
    let bob = create_user(
        &app,
        &token,
        json!({"email": "Bob.Builder@Example.com", "name": "Robert"}),
    )
    .await;
    for (term, expected) in [
        ("alice", vec![&alice]),
        ("ALICE", vec![&alice]),
        ("lidDELL", vec![&alice]),
        ("WONDERLAND.ORG", vec![&alice]),
        ("bob.builder", vec![&bob]),
        ("ROBERT", vec![&bob]),
        ("builder%40example", vec![&bob]),
    ] {
        let reply = app.get(&format!("/users/?search={term}"), &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{term}: {}", reply.body);
        let want: Vec<String> = expected
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids_of(&reply.body), want, "search={term}");
        assert_eq!(reply.body["count"], want.len() as i64, "search={term}");
    }
    // The owner and Bob.
    let reply = app.get("/users/?search=EXAMPLE.com", &token).await;
    assert_eq!(reply.body["count"], 2, "{}", reply.body);
}

/// Search runs on an index of its own (FTS5 on SQLite, trigram GIN on
/// PostgreSQL): it must follow every write to a name or an e-mail.
#[actix_web::test]
async fn search_follows_renames_and_deletions() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_user(
        &app,
        &token,
        json!({"email": "dwayne@example.com", "name": "Dwayne \"The Rock\" Johnson"}),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    let found = |reply: &Reply| ids_of(&reply.body);
    // A double quote is matched literally, not read as search syntax.
    let reply = app.get("/users/?search=%22the%20rock%22", &token).await;
    assert_eq!(found(&reply), [id], "{}", reply.body);

    let reply = app
        .patch(
            &format!("/users/{id}/"),
            &token,
            json!({"name": "Rocky Balboa", "email": "rocky@philly.example"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for (term, expected) in [
        ("rock%22", 0),
        ("dwayne", 0),
        ("BALBOA", 1),
        ("philly.example", 1),
    ] {
        let reply = app.get(&format!("/users/?search={term}"), &token).await;
        assert_eq!(
            reply.body["count"], expected,
            "search={term}: {}",
            reply.body
        );
    }

    // The same name again with a new address (the index is rewritten only
    // when a value changes), then the same values again (nothing changes).
    for body in [
        json!({"name": "Rocky Balboa", "email": "adrian@philly.example"}),
        json!({"name": "Rocky Balboa", "email": "adrian@philly.example"}),
    ] {
        let reply = app.patch(&format!("/users/{id}/"), &token, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for (term, expected) in [("rocky%40", 0), ("adrian", 1), ("balboa", 1)] {
            let reply = app.get(&format!("/users/?search={term}"), &token).await;
            assert_eq!(
                reply.body["count"], expected,
                "search={term}: {}",
                reply.body
            );
        }
    }

    let reply = app.delete(&format!("/users/{id}/"), &token).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let reply = app.get("/users/?search=balboa", &token).await;
    assert_eq!(reply.body["count"], 0, "{}", reply.body);
}

#[actix_web::test]
async fn search_treats_like_wildcards_literally() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let percent = create_user(
        &app,
        &token,
        json!({"email": "pct@example.com", "name": "100% Sure"}),
    )
    .await;
    let underscore = create_user(
        &app,
        &token,
        json!({"email": "under@example.com", "name": "snake_case"}),
    )
    .await;
    create_user(
        &app,
        &token,
        json!({"email": "plain@example.com", "name": "Plain"}),
    )
    .await;
    let reply = app.get("/users/?search=%25", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        ids_of(&reply.body),
        [percent["id"].as_str().unwrap()],
        "search=%"
    );
    let reply = app.get("/users/?search=_", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        ids_of(&reply.body),
        [underscore["id"].as_str().unwrap()],
        "search=_"
    );
    let reply = app.get("/users/?search=e_c", &token).await;
    assert_eq!(ids_of(&reply.body), [underscore["id"].as_str().unwrap()]);
    let reply = app.get("/users/?search=0%25%20S", &token).await;
    assert_eq!(ids_of(&reply.body), [percent["id"].as_str().unwrap()]);
    let reply = app.get("/users/?search=%5C", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 0, "search=\\: {}", reply.body);
}

#[actix_web::test]
async fn active_filter_accepts_documented_booleans() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let on = create_user(
        &app,
        &token,
        json!({"email": "on@example.com", "name": "On"}),
    )
    .await;
    let off = create_user(
        &app,
        &token,
        json!({"email": "off@example.com", "name": "Off", "active": false}),
    )
    .await;
    let mut active_ids = vec![owner_id, on["id"].as_str().unwrap().to_owned()];
    active_ids.sort();
    for raw in ["true", "True", "1"] {
        let reply = app.get(&format!("/users/?active={raw}"), &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{raw}: {}", reply.body);
        let mut ids = ids_of(&reply.body);
        ids.sort();
        assert_eq!(ids, active_ids, "active={raw}");
        assert_eq!(reply.body["count"], 2);
    }
    for raw in ["false", "False", "0"] {
        let reply = app.get(&format!("/users/?active={raw}"), &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{raw}: {}", reply.body);
        assert_eq!(
            ids_of(&reply.body),
            [off["id"].as_str().unwrap()],
            "active={raw}"
        );
        assert_eq!(reply.body["count"], 1);
    }
    for raw in ["yes", "TRUE", "2", "maybe"] {
        let reply = app.get(&format!("/users/?active={raw}"), &token).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{raw}: {}",
            reply.body
        );
        assert_eq!(
            reply.body,
            json!({"active": ["Must be a valid boolean."]}),
            "active={raw}"
        );
    }
}

#[actix_web::test]
async fn list_orders_by_the_documented_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    // Created in a scrambled order so creation order differs from name order.
    for name in ["dave", "alice", "erin", "carol", "bob"] {
        create_user(
            &app,
            &token,
            json!({"email": format!("{name}@example.com"), "name": name}),
        )
        .await;
    }
    let all = ["alice", "bob", "carol", "dave", "erin", "owner"];

    let reply = app.get("/users/?ordering=name", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(field_of(&reply.body, "name"), all);

    let reply = app.get("/users/?ordering=-name", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut reversed = all.to_vec();
    reversed.reverse();
    assert_eq!(field_of(&reply.body, "name"), reversed);

    let reply = app.get("/users/?ordering=email", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let emails: Vec<String> = all.iter().map(|n| format!("{n}@example.com")).collect();
    assert_eq!(field_of(&reply.body, "email"), emails);

    let reply = app.get("/users/?ordering=created", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        field_of(&reply.body, "name"),
        ["owner", "dave", "alice", "erin", "carol", "bob"]
    );
    let created = field_of(&reply.body, "created");
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "{created:?}");

    let reply = app.get("/users/?ordering=-changed", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let changed = field_of(&reply.body, "changed");
    assert!(changed.windows(2).all(|w| w[0] >= w[1]), "{changed:?}");
    assert_eq!(
        field_of(&reply.body, "name"),
        ["bob", "carol", "erin", "alice", "dave", "owner"]
    );
    // The default is -changed.
    let default = app.get("/users/", &token).await;
    assert_eq!(ids_of(&default.body), ids_of(&reply.body));

    // A write moves a user to the front of -changed.
    let dave = app.id_of(&token, "dave@example.com").await;
    let reply = app
        .patch(&user_path(&dave), &token, json!({"title": "dev"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.get("/users/?ordering=-changed", &token).await;
    assert_eq!(reply.body["results"][0]["id"], dave.as_str());
    let reply = app.get("/users/?ordering=changed", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.body["results"][5]["id"],
        dave.as_str(),
        "{}",
        reply.body
    );

    for ordering in ["last_login", "-last_login"] {
        let reply = app
            .get(&format!("/users/?ordering={ordering}"), &token)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{ordering}: {}", reply.body);
        assert_eq!(reply.body["count"], 6);
        let mut names = field_of(&reply.body, "name");
        names.sort();
        assert_eq!(names, all, "{ordering}");
    }
}

#[actix_web::test]
async fn unknown_ordering_is_a_400_on_ordering() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for ordering in ["password_hash", "title", "-foo", "name,email", "--name"] {
        let reply = app
            .get(&format!("/users/?ordering={ordering}"), &token)
            .await;
        assert_field_error(&reply, "ordering", ordering);
        assert_eq!(reply.body.as_object().unwrap().len(), 1, "{}", reply.body);
    }
}

#[actix_web::test]
async fn ordering_is_stable_across_pages() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    // Same name for everyone: ties must be broken consistently.
    let mut created = create_users(&app, &token, "walker", 5, Some("Walker")).await;
    created.sort();
    for ordering in ["name", "-name", "-changed", "created", "last_login"] {
        let mut seen = Vec::new();
        let mut page = 1;
        loop {
            let reply = app
                .get(
                    &format!("/users/?search=walker&length=2&ordering={ordering}&page={page}"),
                    &token,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{ordering}: {}", reply.body);
            assert_eq!(reply.body["count"], 5);
            assert_eq!(reply.body["page_total"], 3);
            assert_eq!(reply.body["length"], 2);
            assert_eq!(reply.body["page"], page);
            seen.extend(ids_of(&reply.body));
            if page == 3 {
                assert_eq!(reply.body["results"].as_array().unwrap().len(), 1);
                break;
            }
            page += 1;
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(
            sorted, created,
            "ordering={ordering}: every id exactly once"
        );
    }
}

#[actix_web::test]
async fn other_organizations_users_never_appear_in_lists() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    create_user(
        &app,
        &other,
        json!({"email": "stranger@example.com", "name": "Stranger"}),
    )
    .await;
    create_user(
        &app,
        &token,
        json!({"email": "local@example.com", "name": "Local"}),
    )
    .await;

    let reply = app.get("/users/?length=100", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 2);
    let emails = field_of(&reply.body, "email");
    assert!(
        !emails
            .iter()
            .any(|e| e.contains("stranger") || e.contains("other"))
    );
    for query in ["search=stranger", "search=other", "active=true&search=str"] {
        let reply = app.get(&format!("/users/?{query}"), &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["count"], 0, "{query}: {}", reply.body);
    }
    let reply = app.get("/users/", &other).await;
    assert_eq!(reply.body["count"], 2);
    let emails = field_of(&reply.body, "email");
    assert!(
        !emails
            .iter()
            .any(|e| e == OWNER_EMAIL || e.contains("local"))
    );
}

// ---------------------------------------------------------------- paths and bodies

#[actix_web::test]
async fn paths_without_trailing_slash_behave_identically() {
    let app = spawn_app().await;
    let token = app.owner_token().await;

    let created = app
        .post(
            "/users",
            &token,
            json!({"email": "noslash@example.com", "name": "No slash"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let with = app.get("/users/", &token).await;
    let without = app.get("/users", &token).await;
    assert_eq!(without.status, StatusCode::OK, "{}", without.body);
    assert_eq!(without.body, with.body);
    assert!(without.header("location").is_none());

    let with = app.get(&format!("/users/{id}/"), &token).await;
    let without = app.get(&format!("/users/{id}"), &token).await;
    assert_eq!(without.status, StatusCode::OK, "{}", without.body);
    assert_eq!(without.body, with.body);

    let reply = app
        .patch(&format!("/users/{id}"), &token, json!({"name": "Patched"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Patched");
    let reply = app
        .put(
            &format!("/users/{id}"),
            &token,
            json!({"email": "noslash@example.com", "name": "Put"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Put");
    assert_not_found(
        &app.get("/users/abcdefghijkm", &token).await,
        "unknown without slash",
    );
    let reply = app.delete(&format!("/users/{id}"), &token).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_not_found(&app.get(&format!("/users/{id}"), &token).await, "deleted");

    let unauth = with_authorization(&app, Method::GET, "/users", None).await;
    assert_eq!(unauth.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn form_encoded_create_and_update_work() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let send = |method: Method, path: String, body: &'static str| {
        app.client
            .request(method, app.url(&path))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let reply = Reply::from(
        send(
            Method::POST,
            "/users/".into(),
            "email=form%40example.com&name=Form+User&active=false&title=dev&kind=Contractor",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["email"], "form@example.com");
    assert_eq!(reply.body["name"], "Form User");
    assert_eq!(reply.body["active"], false);
    assert_eq!(reply.body["state"], "DEACTIVATED");
    assert_eq!(reply.body["title"], "dev");
    assert_eq!(reply.body["kind"], "contractor");
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/users/{id}/").as_str())
    );

    let reply = Reply::from(
        send(Method::PATCH, user_path(&id), "active=True&name=Formed")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["active"], true);
    assert_eq!(reply.body["name"], "Formed");

    let reply = Reply::from(
        send(Method::POST, "/users/".into(), "name=No+email")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"email": [REQUIRED]}));
    assert_eq!(user_count(&app, &token).await, 2);
}

#[actix_web::test]
async fn unsupported_media_type_is_415() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = Reply::from(
        app.client
            .post(app.url("/users/"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "text/plain")
            .body("email=x@example.com")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );
    assert!(reply.body["detail"].is_string(), "{}", reply.body);
    assert_eq!(user_count(&app, &token).await, 1);
}

#[actix_web::test]
async fn unknown_json_fields_are_ignored() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_user(
        &app,
        &token,
        json!({"email": "u@example.com", "name": "U", "favourite_colour": "blue",
               "password_hash": "$argon2id$fake"}),
    )
    .await;
    assert!(user.get("favourite_colour").is_none());
    assert_eq!(user["state"], "PENDING", "password_hash is not writable");
}

/// The `count` of an unfiltered list of `path` with the number of rows it
/// pages through (a page of 100 holds them all here).
async fn counted(app: &TestApp, token: &str, path: &str) -> (i64, usize) {
    let reply = app.get(&format!("{path}?length=100"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (
        reply.body["count"].as_i64().expect("count is an integer"),
        reply.body["results"].as_array().expect("results").len(),
    )
}

/// An unfiltered list's `count` is kept by the database, not counted over
/// the members: it follows creations and deletions of people and API users,
/// organization by organization, and folding the rows it is kept in (the
/// scheduler's work) changes nothing.
#[actix_web::test]
async fn the_unfiltered_count_follows_writes_and_folds() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("counted-other@example.com").await;
    let ids = create_users(&app, &token, "counted", 4, None).await;
    create_users(&app, &other, "elsewhere", 2, None).await;
    let reply = app.delete(&user_path(&ids[0]), &token).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "counted robot", "email": "robot@example.com", "user_roles": [{"role": "VIEWER"}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let expected = [
        ("/users/", &token, 4),
        ("/api-users/", &token, 1),
        ("/users/", &other, 3),
        ("/api-users/", &other, 0),
    ];
    for (path, token, n) in expected {
        assert_eq!(counted(&app, token, path).await, (n, n as usize), "{path}");
    }

    let url = tessera::db::DatabaseUrl::parse(&app.database_url).unwrap();
    let mut conn = tessera::db::establish(&url).unwrap();
    tessera::db::users::counts::fold_all(&mut conn).unwrap();
    use diesel::prelude::*;
    use tessera::db::schema::user_counts;
    let rows: Vec<(String, bool)> = user_counts::table
        .select((user_counts::organization_id, user_counts::is_apiuser))
        .load(&mut conn)
        .unwrap();
    let mut kinds = rows.clone();
    kinds.sort();
    kinds.dedup();
    assert_eq!(rows.len(), kinds.len(), "one row per organization and kind");
    for (path, token, n) in expected {
        assert_eq!(counted(&app, token, path).await, (n, n as usize), "{path}");
    }
}
