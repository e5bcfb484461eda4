//! `/api-users/` and `/api-users/{id}/`: the User resource for applications
//! (API.md §2): `is_apiuser = true`, no password, kept apart from `/users/`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, PASSWORD, Reply, TestApp, spawn_app};

const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";

fn api_user_path(id: &str) -> String {
    format!("/api-users/{id}/")
}

/// POSTs `body` to `/api-users/` and returns the created API user (panics unless 201).
async fn create_api_user(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post("/api-users/", token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "create {body}: {}",
        reply.body
    );
    reply.body
}

/// Creates an API user named after `email`; returns its id.
async fn api_user_id(app: &TestApp, token: &str, email: &str) -> String {
    let name = email.split('@').next().unwrap();
    create_api_user(app, token, json!({"name": name, "email": email})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn role_names(user: &Value) -> Vec<String> {
    user["user_roles"]
        .as_array()
        .unwrap_or_else(|| panic!("user_roles is a list: {user}"))
        .iter()
        .map(|r| r["role"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn emails(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("results is a list: {page}"))
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_status(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
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

// ---------------------------------------------------------------- CRUD

#[actix_web::test]
async fn owner_creates_an_active_api_user_without_a_password() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "CI robot", "email": "ci@example.com"}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "create");
    let user = &reply.body;
    let id = user["id"].as_str().expect("an id");
    assert_eq!(id.len(), 12, "{user}");
    assert_eq!(
        reply.header("location"),
        Some(api_user_path(id).as_str()),
        "Location names the API user"
    );
    assert_eq!(user["name"], "CI robot");
    assert_eq!(user["email"], "ci@example.com");
    assert_eq!(user["is_apiuser"], true);
    assert_eq!(user["active"], true);
    assert_eq!(user["state"], "ACTIVE", "API users need no password");
    assert_eq!(user["mfa_enabled"], false);
    assert_eq!(user["last_login"], Value::Null);
    assert_eq!(
        role_names(user),
        vec!["EMPLOYEE"],
        "default membership role"
    );
    assert_eq!(user["changed_by"]["email"], OWNER_EMAIL);
    assert!(user.get("password").is_none(), "{user}");

    let fetched = app.get(&api_user_path(id), &token).await;
    assert_status(&fetched, StatusCode::OK, "retrieve");
    assert_eq!(fetched.body, reply.body, "GET answers what POST created");
}

#[actix_web::test]
async fn create_accepts_user_roles() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let user = create_api_user(
        &app,
        &token,
        json!({"name": "reader", "email": "reader@example.com",
               "user_roles": [{"role": "VIEWER"}]}),
    )
    .await;
    assert_eq!(role_names(&user), vec!["VIEWER"]);
    assert_eq!(user["user_roles"][0]["scope"]["tier"], "account");
}

#[actix_web::test]
async fn create_requires_name_and_email() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.post("/api-users/", &token, json!({})).await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "empty body");
    assert_eq!(reply.body["name"], json!([REQUIRED]), "{}", reply.body);
    assert_eq!(reply.body["email"], json!([REQUIRED]), "{}", reply.body);

    let reply = app
        .post("/api-users/", &token, json!({"name": "no email"}))
        .await;
    assert_field_error(&reply, "email", "missing email");
    assert!(reply.body.get("name").is_none(), "{}", reply.body);

    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"email": "noname@example.com"}),
        )
        .await;
    assert_field_error(&reply, "name", "missing name");

    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "bad", "email": "not-an-email"}),
        )
        .await;
    assert_field_error(&reply, "email", "invalid email");

    let list = app.get("/api-users/", &token).await;
    assert_eq!(list.body["count"], 0, "nothing was created: {}", list.body);
}

#[actix_web::test]
async fn create_rejects_a_duplicate_email() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    api_user_id(&app, &token, "bot@example.com").await;

    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "again", "email": "BOT@example.com"}),
        )
        .await;
    assert_field_error(&reply, "email", "duplicate of an API user");

    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "owner twin", "email": OWNER_EMAIL}),
        )
        .await;
    assert_field_error(&reply, "email", "duplicate of a person");
}

#[actix_web::test]
async fn a_password_is_rejected_on_every_write() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app
        .post(
            "/api-users/",
            &token,
            json!({"name": "bot", "email": "bot@example.com", "password": "long-enough-1"}),
        )
        .await;
    assert_field_error(&reply, "password", "POST with a password");
    let list = app.get("/api-users/", &token).await;
    assert_eq!(list.body["count"], 0, "nothing was created: {}", list.body);

    let id = api_user_id(&app, &token, "bot@example.com").await;
    let reply = app
        .patch(
            &api_user_path(&id),
            &token,
            json!({"password": "long-enough-1"}),
        )
        .await;
    assert_field_error(&reply, "password", "PATCH with a password");
    let reply = app
        .put(
            &api_user_path(&id),
            &token,
            json!({"name": "bot", "email": "bot@example.com", "password": "long-enough-1"}),
        )
        .await;
    assert_field_error(&reply, "password", "PUT with a password");

    let user = app.get(&api_user_path(&id), &token).await;
    assert_eq!(user.body["state"], "ACTIVE", "{}", user.body);
}

#[actix_web::test]
async fn put_replaces_and_patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_api_user(
        &app,
        &token,
        json!({"name": "bot", "email": "bot@example.com", "position": "pipeline"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let reply = app
        .put(
            &api_user_path(&id),
            &token,
            json!({"name": "Renamed bot", "email": "renamed@example.com"}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "PUT");
    assert_eq!(reply.body["name"], "Renamed bot");
    assert_eq!(reply.body["email"], "renamed@example.com");
    assert_eq!(
        reply.body["position"], "pipeline",
        "PUT keeps omitted fields"
    );
    assert_eq!(reply.body["is_apiuser"], true);

    let reply = app
        .put(&api_user_path(&id), &token, json!({"name": "only a name"}))
        .await;
    assert_field_error(&reply, "email", "PUT without email");

    let reply = app
        .patch(&api_user_path(&id), &token, json!({"title": "devop"}))
        .await;
    assert_status(&reply, StatusCode::OK, "PATCH");
    assert_eq!(reply.body["title"], "devop");
    assert_eq!(reply.body["name"], "Renamed bot", "PATCH keeps the rest");
    assert_eq!(reply.body["email"], "renamed@example.com");

    let fetched = app.get(&api_user_path(&id), &token).await;
    assert_eq!(fetched.body, reply.body, "the change is stored");
}

#[actix_web::test]
async fn deactivation_and_reactivation_change_the_state() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;

    let reply = app
        .patch(&api_user_path(&id), &token, json!({"active": false}))
        .await;
    assert_status(&reply, StatusCode::OK, "deactivate");
    assert_eq!(reply.body["active"], false);
    assert_eq!(reply.body["state"], "DEACTIVATED");

    let reply = app
        .patch(&api_user_path(&id), &token, json!({"active": true}))
        .await;
    assert_status(&reply, StatusCode::OK, "reactivate");
    assert_eq!(reply.body["state"], "ACTIVE");
}

#[actix_web::test]
async fn delete_removes_the_api_user() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;

    let reply = app.delete(&api_user_path(&id), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete");
    assert_eq!(reply.body, Value::Null, "204 has no body");

    assert_not_found(
        &app.get(&api_user_path(&id), &token).await,
        "GET after delete",
    );
    assert_not_found(
        &app.delete(&api_user_path(&id), &token).await,
        "second delete",
    );
    let list = app.get("/api-users/", &token).await;
    assert_eq!(list.body["count"], 0, "{}", list.body);
}

#[actix_web::test]
async fn paths_without_the_trailing_slash_are_served() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;
    let list = app.get("/api-users", &token).await;
    assert_status(&list, StatusCode::OK, "list without slash");
    assert_eq!(list.body["count"], 1);
    let one = app.get(&format!("/api-users/{id}"), &token).await;
    assert_status(&one, StatusCode::OK, "retrieve without slash");
    assert_eq!(one.body["id"], id.as_str());
}

// ---------------------------------------------------------------- separation from /users/

#[actix_web::test]
async fn an_api_users_id_is_not_found_under_users() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;
    let path = format!("/users/{id}/");

    assert_not_found(&app.get(&path, &token).await, "GET /users/{api user}");
    assert_not_found(
        &app.patch(&path, &token, json!({"name": "x"})).await,
        "PATCH /users/{api user}",
    );
    assert_not_found(
        &app.put(
            &path,
            &token,
            json!({"name": "x", "email": "x@example.com"}),
        )
        .await,
        "PUT /users/{api user}",
    );
    assert_not_found(&app.delete(&path, &token).await, "DELETE /users/{api user}");

    let still = app.get(&api_user_path(&id), &token).await;
    assert_status(&still, StatusCode::OK, "the API user is untouched");
    assert_eq!(still.body["name"], "bot");
}

#[actix_web::test]
async fn a_persons_id_is_not_found_under_api_users() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let (person, _) = app.member(&token, "dev@example.com", "EMPLOYEE").await;
    let path = api_user_path(&person);

    assert_not_found(&app.get(&path, &token).await, "GET /api-users/{person}");
    assert_not_found(
        &app.patch(&path, &token, json!({"name": "x"})).await,
        "PATCH /api-users/{person}",
    );
    assert_not_found(
        &app.put(
            &path,
            &token,
            json!({"name": "x", "email": "x@example.com"}),
        )
        .await,
        "PUT /api-users/{person}",
    );
    assert_not_found(
        &app.delete(&path, &token).await,
        "DELETE /api-users/{person}",
    );

    let still = app.get(&format!("/users/{person}/"), &token).await;
    assert_status(&still, StatusCode::OK, "the person is untouched");
    assert_eq!(still.body["name"], "dev");
}

#[actix_web::test]
async fn users_and_api_users_lists_are_disjoint() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    app.create_member(&token, "dev@example.com", "EMPLOYEE")
        .await;
    api_user_id(&app, &token, "bot@example.com").await;
    api_user_id(&app, &token, "ci@example.com").await;

    let people = app.get("/users/", &token).await;
    assert_status(&people, StatusCode::OK, "/users/");
    let mut listed = emails(&people.body);
    listed.sort();
    assert_eq!(listed, vec!["dev@example.com", OWNER_EMAIL]);
    assert_eq!(people.body["count"], 2, "{}", people.body);
    let searched = app.get("/users/?search=bot", &token).await;
    assert_eq!(searched.body["count"], 0, "{}", searched.body);

    let apps = app.get("/api-users/", &token).await;
    assert_status(&apps, StatusCode::OK, "/api-users/");
    let mut listed = emails(&apps.body);
    listed.sort();
    assert_eq!(listed, vec!["bot@example.com", "ci@example.com"]);
    assert_eq!(apps.body["count"], 2);
    assert_eq!(apps.body["page"], 1);
    assert_eq!(apps.body["length"], 10);
    assert_eq!(apps.body["page_total"], 1);
    assert!(
        apps.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["is_apiuser"] == true),
        "{}",
        apps.body
    );
    let searched = app.get("/api-users/?search=dev", &token).await;
    assert_eq!(searched.body["count"], 0, "{}", searched.body);
    let searched = app.get("/api-users/?search=BOT", &token).await;
    assert_eq!(emails(&searched.body), vec!["bot@example.com"]);
}

#[actix_web::test]
async fn an_empty_api_users_list_hides_the_system_actor() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.get("/api-users/", &token).await;
    assert_status(&reply, StatusCode::OK, "list");
    assert_eq!(reply.body["count"], 0, "{}", reply.body);
    assert_eq!(reply.body["results"], json!([]));
}

// ---------------------------------------------------------------- authorization

#[actix_web::test]
async fn requests_without_credentials_are_unauthorized() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;
    let requests = [
        (Method::GET, "/api-users/".to_owned(), None),
        (
            Method::POST,
            "/api-users/".to_owned(),
            Some(json!({"name": "x", "email": "x@example.com"})),
        ),
        (Method::GET, api_user_path(&id), None),
        (
            Method::PATCH,
            api_user_path(&id),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, api_user_path(&id), None),
    ];
    for (method, path, body) in requests {
        let what = format!("{method} {path}");
        let reply = app.call(method, &path, None, body).await;
        assert_status(&reply, StatusCode::UNAUTHORIZED, &what);
        assert_eq!(reply.body, json!({"detail": NOT_AUTHENTICATED}), "{what}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("JWT realm=\"api\""),
            "{what}"
        );

        let reply = app
            .call(Method::GET, &path, Some("garbage.token.here"), None)
            .await;
        assert_status(&reply, StatusCode::UNAUTHORIZED, &what);
        assert_eq!(reply.body, json!({"detail": "Invalid token."}), "{what}");
    }
    let still = app.get(&api_user_path(&id), &token).await;
    assert_eq!(still.body["name"], "bot", "{}", still.body);
}

#[actix_web::test]
async fn an_employee_reads_but_cannot_write() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = api_user_id(&app, &owner, "bot@example.com").await;
    let (_, employee) = app.member(&owner, "dev@example.com", "EMPLOYEE").await;

    let list = app.get("/api-users/", &employee).await;
    assert_status(&list, StatusCode::OK, "employee lists");
    assert_eq!(emails(&list.body), vec!["bot@example.com"]);
    let one = app.get(&api_user_path(&id), &employee).await;
    assert_status(&one, StatusCode::OK, "employee retrieves");

    assert_forbidden(
        &app.post(
            "/api-users/",
            &employee,
            json!({"name": "x", "email": "x@example.com"}),
        )
        .await,
        "employee creates",
    );
    assert_forbidden(
        &app.post("/api-users/", &employee, json!({})).await,
        "employee creates with an invalid body: 403 before validation",
    );
    assert_forbidden(
        &app.put(
            &api_user_path(&id),
            &employee,
            json!({"name": "x", "email": "x@example.com"}),
        )
        .await,
        "employee replaces",
    );
    assert_forbidden(
        &app.patch(&api_user_path(&id), &employee, json!({"name": "x"}))
            .await,
        "employee updates",
    );
    assert_forbidden(
        &app.patch(&api_user_path(&id), &employee, json!({"active": false}))
            .await,
        "employee deactivates",
    );
    assert_forbidden(
        &app.delete(&api_user_path(&id), &employee).await,
        "employee deletes",
    );

    let still = app.get(&api_user_path(&id), &owner).await;
    assert_eq!(still.body["name"], "bot");
    assert_eq!(still.body["active"], true);
    let list = app.get("/api-users/", &owner).await;
    assert_eq!(list.body["count"], 1, "{}", list.body);
}

#[actix_web::test]
async fn an_admin_manages_api_users() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let user = create_api_user(
        &app,
        &admin,
        json!({"name": "bot", "email": "bot@example.com"}),
    )
    .await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(user["changed_by"]["email"], "admin@example.com");
    let reply = app
        .patch(&api_user_path(id), &admin, json!({"name": "bot 2"}))
        .await;
    assert_status(&reply, StatusCode::OK, "admin updates");
    let reply = app.delete(&api_user_path(id), &admin).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "admin deletes");
}

#[actix_web::test]
async fn malformed_and_unknown_ids_are_not_found() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for id in [
        "short",
        "0OIl0OIl0OIl",
        "aaaaaaaaaaaaa",
        "123456789ABC",
        "%20%20",
        "1234567890ab",
    ] {
        let path = api_user_path(id);
        assert_not_found(&app.get(&path, &token).await, &format!("GET {path}"));
        assert_not_found(
            &app.patch(&path, &token, json!({"name": "x"})).await,
            &format!("PATCH {path}"),
        );
        assert_not_found(&app.delete(&path, &token).await, &format!("DELETE {path}"));
    }
}

#[actix_web::test]
async fn another_organizations_api_user_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = api_user_id(&app, &token, "bot@example.com").await;
    let other = app.second_organization("boss@other.example").await;
    let path = api_user_path(&id);

    assert_not_found(&app.get(&path, &other).await, "GET across organizations");
    assert_not_found(
        &app.patch(&path, &other, json!({"name": "stolen"})).await,
        "PATCH across organizations",
    );
    assert_not_found(
        &app.put(
            &path,
            &other,
            json!({"name": "stolen", "email": "stolen@example.com"}),
        )
        .await,
        "PUT across organizations",
    );
    assert_not_found(
        &app.delete(&path, &other).await,
        "DELETE across organizations",
    );
    let list = app.get("/api-users/", &other).await;
    assert_eq!(list.body["count"], 0, "{}", list.body);

    let still = app.get(&path, &token).await;
    assert_status(&still, StatusCode::OK, "the API user is untouched");
    assert_eq!(still.body["name"], "bot");

    // The same email may exist in another organization.
    let theirs = create_api_user(
        &app,
        &other,
        json!({"name": "their bot", "email": "bot@example.com"}),
    )
    .await;
    assert_ne!(theirs["id"], json!(id));
}

#[actix_web::test]
async fn an_api_user_cannot_log_in() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    api_user_id(&app, &token, "bot@example.com").await;
    for password in ["", "anything-1", PASSWORD] {
        let reply = app
            .call(
                Method::POST,
                "/auth/obtain/",
                None,
                Some(json!({"username": "bot@example.com", "password": password})),
            )
            .await;
        assert_status(&reply, StatusCode::BAD_REQUEST, "API user login");
        assert!(reply.body.get("token").is_none(), "{}", reply.body);
    }
}
