//! `/labels/users/` and `/labels/users/{id}/`: the Label resource of API.md
//! §2, and labels as they appear on users.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, Reply, TestApp, spawn_app};

const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const NAME_TAKEN: &str = "label with this name already exists.";
const BAD_COLOR: &str = "Enter a valid value matching ^[a-zA-Z0-9#_-]*$.";
const TOO_LONG: &str = "Ensure this field has no more than 255 characters.";
/// Ids that can name nothing: too short, too long, not Base58 (0, O, I, l).
const MALFORMED_IDS: [&str; 3] = ["abc", "abcdefghijkmn", "0OIl0OIl0OIl"];

// ---------------------------------------------------------------- helpers

fn label_path(id: &str) -> String {
    format!("/labels/users/{id}/")
}

/// POSTs `body` to `/labels/users/` and returns the created label (panics unless 201).
async fn create_label(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/labels/users/", token, body).await
}

async fn create_named(app: &TestApp, token: &str, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let label = create_label(app, token, json!({"name": name})).await;
        ids.push(id_of(&label));
    }
    ids
}

fn id_of(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_owned()
}

/// Lists `/labels/users/?{query}` and returns the body (panics unless 200).
async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app.get(&format!("/labels/users/?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "?{query}: {}", reply.body);
    reply.body
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_field_error(reply: &Reply, field: &str, message: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({ field: [message] }));
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

fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.body, json!({ "detail": FORBIDDEN }), "{what}");
}

/// `2026-11-28T13:27:43.820830Z`: microseconds and `Z`.
fn assert_time(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    assert_eq!(s.len(), 27, "{s}");
    assert!(s.ends_with('Z') && s.as_bytes()[19] == b'.', "{s}");
}

// ---------------------------------------------------------------- create, get

#[actix_web::test]
async fn create_answers_201_with_location_and_the_label() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;

    let reply = app
        .post(
            "/labels/users/",
            &token,
            json!({"name": "  Contractors ", "color": "#00FF00", "id": "ignoredIgnor", "changed": "x"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let label = reply.body.clone();
    let id = id_of(&label);
    assert_eq!(id.len(), 12);
    assert_ne!(id, "ignoredIgnor");
    assert_eq!(reply.header("location"), Some(label_path(&id).as_str()));
    assert_eq!(label["name"], "Contractors");
    assert_eq!(label["color"], "#00FF00");
    assert_eq!(
        label["changed_by"],
        json!({"id": owner_id, "email": OWNER_EMAIL, "name": label["changed_by"]["name"]})
    );
    assert!(label["changed_by"]["name"].is_string());
    assert_time(&label["changed"]);
    let keys: Vec<&str> = label
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{label}");

    let fetched = app.get(&label_path(&id), &token).await;
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.body);
    assert_eq!(fetched.body, label);
    // The path without its trailing slash is served alike.
    let fetched = app.get(&format!("/labels/users/{id}"), &token).await;
    assert_eq!(fetched.body, label);
}

#[actix_web::test]
async fn color_defaults_to_empty_and_forms_are_accepted() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let label = create_label(&app, &token, json!({"name": "Plain"})).await;
    assert_eq!(label["color"], "");

    let reply = Reply::from(
        app.client
            .post(app.url("/labels/users"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("name=From+a+form&color=%23ABCDEF")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["name"], "From a form");
    assert_eq!(reply.body["color"], "#ABCDEF");

    let reply = Reply::from(
        app.client
            .post(app.url("/labels/users/"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "text/plain")
            .body("name=x")
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
}

// ---------------------------------------------------------------- lists

#[actix_web::test]
async fn list_is_an_envelope_ordered_by_name_case_insensitively() {
    let app = spawn_app().await;
    let token = app.owner_token().await;

    let empty = list(&app, &token, "").await;
    assert_eq!(
        empty,
        json!({"count": 0, "page_total": 1, "page": 1, "length": 10, "results": []})
    );

    create_named(&app, &token, &["beta", "Alpha", "gamma"]).await;
    let page = list(&app, &token, "").await;
    assert_eq!(page["count"], 3);
    assert_eq!(page["page_total"], 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["length"], 10);
    assert_eq!(names(&page), ["Alpha", "beta", "gamma"]);
    assert_eq!(
        names(&list(&app, &token, "ordering=-name").await),
        ["gamma", "beta", "Alpha"]
    );
    assert_eq!(
        names(&list(&app, &token, "ordering=name").await),
        ["Alpha", "beta", "gamma"]
    );
}

#[actix_web::test]
async fn list_orders_by_created_and_changed() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = create_named(&app, &token, &["one", "two", "three"]).await;

    assert_eq!(
        names(&list(&app, &token, "ordering=created").await),
        ["one", "two", "three"]
    );
    assert_eq!(
        names(&list(&app, &token, "ordering=-created").await),
        ["three", "two", "one"]
    );
    // Touching "one" makes it the most recently changed.
    let reply = app
        .patch(&label_path(&ids[0]), &token, json!({"color": "red"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        names(&list(&app, &token, "ordering=-changed").await),
        ["one", "three", "two"]
    );
    assert_eq!(
        names(&list(&app, &token, "ordering=changed").await),
        ["two", "three", "one"]
    );
}

#[actix_web::test]
async fn an_unknown_ordering_is_a_400() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for ordering in ["color", "-organization_id", "id", "-"] {
        let reply = app
            .get(&format!("/labels/users/?ordering={ordering}"), &token)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{ordering}");
        assert!(
            reply.body["ordering"][0]
                .as_str()
                .is_some_and(|m| m.contains("name, changed, created")),
            "{ordering}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn search_is_a_case_insensitive_substring_of_the_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_named(
        &app,
        &token,
        &["Red Team", "reduced", "Blue", "100%", "1000", "a_b", "axb"],
    )
    .await;

    assert_eq!(
        names(&list(&app, &token, "search=RED").await),
        ["Red Team", "reduced"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=team").await),
        ["Red Team"]
    );
    let page = list(&app, &token, "search=nothing-like-it").await;
    assert_eq!(page["count"], 0);
    assert_eq!(page["results"], json!([]));
    // LIKE wildcards in the term match literally.
    assert_eq!(names(&list(&app, &token, "search=0%25").await), ["100%"]);
    assert_eq!(names(&list(&app, &token, "search=_").await), ["a_b"]);
    // A blank search is no search.
    assert_eq!(list(&app, &token, "search=+").await["count"], 7);
    // Search combines with ordering and counts only matches.
    let page = list(&app, &token, "search=red&ordering=-name").await;
    assert_eq!(page["count"], 2);
    assert_eq!(names(&page), ["reduced", "Red Team"]);
}

#[actix_web::test]
async fn lists_are_paginated() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_named(&app, &token, &["a", "b", "c", "d", "e"]).await;

    let first = list(&app, &token, "length=2").await;
    assert_eq!(first["count"], 5);
    assert_eq!(first["page_total"], 3);
    assert_eq!(first["length"], 2);
    assert_eq!(names(&first), ["a", "b"]);
    let last = list(&app, &token, "length=2&page=3").await;
    assert_eq!(last["page"], 3);
    assert_eq!(names(&last), ["e"]);
    assert_eq!(list(&app, &token, "length=1000").await["length"], 100);

    for query in ["length=2&page=4", "page=0", "page=-1", "page=x"] {
        let reply = app.get(&format!("/labels/users/?{query}"), &token).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{query}");
        assert_eq!(reply.body, json!({"detail": "Invalid page."}), "{query}");
    }
    for query in ["length=0", "length=abc"] {
        let reply = app.get(&format!("/labels/users/?{query}"), &token).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            reply.body.get("length").is_some(),
            "{query}: {}",
            reply.body
        );
    }
}

// ---------------------------------------------------------------- update, delete

#[actix_web::test]
async fn put_requires_the_name_and_keeps_an_omitted_color() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let label = create_label(&app, &token, json!({"name": "Old", "color": "#111111"})).await;
    let path = label_path(&id_of(&label));

    let reply = app.put(&path, &token, json!({"color": "#222222"})).await;
    assert_field_error(&reply, "name", REQUIRED);

    let reply = app.put(&path, &token, json!({"name": "New"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "New");
    assert_eq!(reply.body["color"], "#111111");
    assert_eq!(reply.body["id"], label["id"]);
    assert!(reply.body["changed"].as_str() >= label["changed"].as_str());

    let reply = app
        .put(&path, &token, json!({"name": "Newer", "color": ""}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["color"], "");
    assert_eq!(app.get(&path, &token).await.body, reply.body);
}

#[actix_web::test]
async fn patch_changes_only_what_is_sent_and_stamps_the_caller() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let label = create_label(&app, &token, json!({"name": "Ops", "color": "blue"})).await;
    let path = label_path(&id_of(&label));
    let (admin_id, admin) = app.member(&token, "admin@example.com", "ADMIN").await;

    let reply = app.patch(&path, &admin, json!({"color": "green"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Ops");
    assert_eq!(reply.body["color"], "green");
    assert_eq!(reply.body["changed_by"]["id"], admin_id);
    assert_eq!(reply.body["changed_by"]["email"], "admin@example.com");
    assert!(reply.body["changed"].as_str() >= label["changed"].as_str());

    let reply = app
        .patch(&path, &token, json!({"name": "Operations"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Operations");
    assert_eq!(reply.body["color"], "green");
    assert_eq!(reply.body["changed_by"]["email"], OWNER_EMAIL);

    // Renaming a label to itself in another case is no conflict.
    let reply = app
        .patch(&path, &token, json!({"name": "OPERATIONS"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "OPERATIONS");
}

#[actix_web::test]
async fn delete_answers_204_then_the_label_is_gone() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = create_named(&app, &token, &["Doomed", "Kept"]).await;
    let path = label_path(&ids[0]);

    let reply = app.delete(&path, &token).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_eq!(reply.body, Value::Null);
    assert_not_found(&app.get(&path, &token).await, "GET after delete");
    assert_not_found(&app.delete(&path, &token).await, "DELETE after delete");
    assert_eq!(names(&list(&app, &token, "").await), ["Kept"]);
    // The name is free again.
    create_label(&app, &token, json!({"name": "doomed"})).await;
}

#[actix_web::test]
async fn other_methods_are_405() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.delete("/labels/users/", &token).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert_eq!(
        reply.body,
        json!({"detail": "Method \"DELETE\" not allowed."})
    );
    let id = create_named(&app, &token, &["x"]).await.remove(0);
    let reply = app.post(&label_path(&id), &token, json!({})).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("GET, PUT, PATCH, DELETE"));
}

// ---------------------------------------------------------------- validation

#[actix_web::test]
async fn create_validates_the_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let cases = [
        (json!({}), "name", REQUIRED),
        (json!({"color": "#fff"}), "name", REQUIRED),
        (json!({"name": ""}), "name", "This field may not be blank."),
        (
            json!({"name": "   "}),
            "name",
            "This field may not be blank.",
        ),
        (json!({"name": null}), "name", "This field may not be null."),
        (json!({"name": ["a"]}), "name", "Not a valid string."),
        (json!({"name": "x".repeat(256)}), "name", TOO_LONG),
        (
            json!({"name": "a\u{1}b"}),
            "name",
            "Control characters are not allowed.",
        ),
        (
            json!({"name": "ok", "color": "#00 FF00"}),
            "color",
            BAD_COLOR,
        ),
        (
            json!({"name": "ok", "color": "rgb(0,0,0)"}),
            "color",
            BAD_COLOR,
        ),
        (
            json!({"name": "ok", "color": "a".repeat(256)}),
            "color",
            TOO_LONG,
        ),
        (
            json!({"name": "ok", "color": null}),
            "color",
            "This field may not be null.",
        ),
    ];
    for (body, field, message) in cases {
        let reply = app.post("/labels/users/", &token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.body, json!({ field: [message] }), "{body}");
    }
    // Both fields bad: both reported.
    let reply = app
        .post("/labels/users/", &token, json!({"color": "!"}))
        .await;
    assert_eq!(
        reply.body,
        json!({"name": [REQUIRED], "color": [BAD_COLOR]})
    );
    // A name of exactly 255 characters is fine.
    create_label(&app, &token, json!({"name": "é".repeat(255)})).await;
    assert_eq!(list(&app, &token, "").await["count"], 1);

    let reply = Reply::from(
        app.client
            .post(app.url("/labels/users/"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error - ")),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn updates_validate_the_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_named(&app, &token, &["Valid"]).await.remove(0);
    let path = label_path(&id);
    for method in [Method::PUT, Method::PATCH] {
        for (body, field, message) in [
            (json!({"name": ""}), "name", "This field may not be blank."),
            (json!({"name": "x".repeat(256)}), "name", TOO_LONG),
            (
                json!({"name": "Valid", "color": "#fff;"}),
                "color",
                BAD_COLOR,
            ),
        ] {
            let reply = app
                .call(method.clone(), &path, Some(&token), Some(body.clone()))
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {body}");
            assert_eq!(reply.body, json!({ field: [message] }), "{method} {body}");
        }
    }
    let unchanged = app.get(&path, &token).await.body;
    assert_eq!(unchanged["name"], "Valid");
    assert_eq!(unchanged["color"], "");
}

#[actix_web::test]
async fn duplicate_names_are_a_400_case_insensitively() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = create_named(&app, &token, &["Finance", "Legal"]).await;

    for name in ["Finance", "finance", "FINANCE", " fInAnCe "] {
        let reply = app
            .post("/labels/users/", &token, json!({"name": name}))
            .await;
        assert_field_error(&reply, "name", NAME_TAKEN);
    }
    let legal = label_path(&ids[1]);
    let reply = app.put(&legal, &token, json!({"name": "FINANCE"})).await;
    assert_field_error(&reply, "name", NAME_TAKEN);
    let reply = app.patch(&legal, &token, json!({"name": "finance"})).await;
    assert_field_error(&reply, "name", NAME_TAKEN);
    assert_eq!(app.get(&legal, &token).await.body["name"], "Legal");
    assert_eq!(list(&app, &token, "").await["count"], 2);

    // Names are unique per organization only.
    let other = app.second_organization("boss@other.example").await;
    create_label(&app, &other, json!({"name": "finance"})).await;
}

// ---------------------------------------------------------------- authorization

#[actix_web::test]
async fn requests_without_credentials_are_401() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_named(&app, &token, &["x"]).await.remove(0);
    let path = label_path(&id);
    for (method, path, body) in [
        (Method::GET, "/labels/users/", None),
        (Method::POST, "/labels/users/", Some(json!({"name": "y"}))),
        (Method::GET, path.as_str(), None),
        (Method::PUT, path.as_str(), Some(json!({"name": "y"}))),
        (Method::PATCH, path.as_str(), Some(json!({"name": "y"}))),
        (Method::DELETE, path.as_str(), None),
    ] {
        let reply = app.call(method.clone(), path, None, body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(
            reply.body,
            json!({"detail": "Authentication credentials were not provided."})
        );
        assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
        let reply = app
            .call(
                method.clone(),
                path,
                Some("not-a-token"),
                Some(json!({"name": "y"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(reply.body, json!({"detail": "Invalid token."}));
    }
    assert_eq!(names(&list(&app, &token, "").await), ["x"]);
}

#[actix_web::test]
async fn an_employee_can_read_labels_but_not_write_them() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = create_named(&app, &owner, &["Visible"]).await.remove(0);
    let path = label_path(&id);
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;

    assert_eq!(names(&list(&app, &employee, "").await), ["Visible"]);
    let reply = app.get(&path, &employee).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Visible");

    // Forbidden before validation: an invalid body is still a 403.
    for body in [json!({"name": "Nope"}), json!({"name": ""}), json!({})] {
        let reply = app.post("/labels/users/", &employee, body.clone()).await;
        assert_forbidden(&reply, &format!("POST {body}"));
        let reply = app.put(&path, &employee, body.clone()).await;
        assert_forbidden(&reply, &format!("PUT {body}"));
        let reply = app.patch(&path, &employee, body.clone()).await;
        assert_forbidden(&reply, &format!("PATCH {body}"));
    }
    let reply = Reply::from(
        app.client
            .post(app.url("/labels/users/"))
            .header("Authorization", format!("JWT {employee}"))
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_forbidden(&reply, "POST malformed JSON");
    assert_forbidden(&app.delete(&path, &employee).await, "DELETE");

    let after = app.get(&path, &owner).await.body;
    assert_eq!(after["name"], "Visible");
    assert_eq!(list(&app, &owner, "").await["count"], 1);
}

#[actix_web::test]
async fn an_admin_can_manage_labels() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (admin_id, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;

    let label = create_label(&app, &admin, json!({"name": "By admin"})).await;
    assert_eq!(label["changed_by"]["id"], admin_id);
    let path = label_path(&id_of(&label));
    let reply = app.put(&path, &admin, json!({"name": "Renamed"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.patch(&path, &admin, json!({"color": "#000"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.delete(&path, &admin).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
}

#[actix_web::test]
async fn malformed_and_foreign_ids_are_404_in_every_method() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("boss@other.example").await;
    let foreign = create_named(&app, &other, &["Theirs"]).await.remove(0);
    create_named(&app, &owner, &["Ours"]).await;

    let mut ids: Vec<&str> = MALFORMED_IDS.to_vec();
    ids.push(&foreign);
    for id in ids {
        let path = label_path(id);
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(json!({"name": "Hijacked"}))),
            (Method::PATCH, Some(json!({"name": "Hijacked"}))),
            (Method::DELETE, None),
        ] {
            let reply = app.call(method.clone(), &path, Some(&owner), body).await;
            assert_not_found(&reply, &format!("{method} {path}"));
        }
    }
    // Each organization lists only its own labels.
    assert_eq!(names(&list(&app, &owner, "").await), ["Ours"]);
    assert_eq!(names(&list(&app, &other, "").await), ["Theirs"]);
    let theirs = app.get(&label_path(&foreign), &other).await;
    assert_eq!(theirs.body["name"], "Theirs");
}

// ---------------------------------------------------------------- labels on users

/// Labels of a user, by name.
fn label_names(user: &Value) -> Vec<String> {
    names(&json!({"results": user["labels"]}))
}

#[actix_web::test]
async fn users_carry_labels_by_id_or_object() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (admin_id, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    // Made by the admin, so the embedded changed_by is the label's own.
    let red = create_label(&app, &admin, json!({"name": "Red", "color": "#FF0000"})).await;
    let blue = create_label(&app, &owner, json!({"name": "blue"})).await;

    let reply = app
        .post(
            "/users/",
            &owner,
            json!({"email": "ann@example.com", "name": "Ann", "labels": [id_of(&red)]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let user = reply.body;
    assert_eq!(user["labels"], json!([red.clone()]));
    assert_eq!(user["labels"][0]["changed_by"]["id"], admin_id);
    assert_ne!(user["changed_by"]["id"], admin_id);
    let user_path = format!("/users/{}/", id_of(&user));

    let reply = app
        .patch(
            &user_path,
            &owner,
            json!({"labels": [{"id": id_of(&red)}, {"id": id_of(&blue)}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(label_names(&reply.body), ["blue", "Red"]);
    assert_eq!(reply.body["labels"][0], blue);
    assert_eq!(
        app.get(&user_path, &owner).await.body["labels"],
        reply.body["labels"]
    );

    // A label's change shows in the users holding it.
    let renamed = app
        .patch(
            &label_path(&id_of(&red)),
            &owner,
            json!({"name": "Crimson"}),
        )
        .await
        .body;
    let user = app.get(&user_path, &owner).await.body;
    assert_eq!(label_names(&user), ["blue", "Crimson"]);
    assert_eq!(user["labels"][1], renamed);

    let reply = app.patch(&user_path, &owner, json!({"labels": []})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["labels"], json!([]));
}

#[actix_web::test]
async fn foreign_or_unknown_label_ids_are_a_400_on_labels() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("boss@other.example").await;
    let foreign = create_named(&app, &other, &["Theirs"]).await.remove(0);
    let ours = create_named(&app, &owner, &["Ours"]).await.remove(0);

    for bad in [foreign.as_str(), "abcdefghijkm"] {
        let expected =
            json!({"labels": [format!("Invalid pk \"{bad}\" - object does not exist.")]});
        let reply = app
            .post(
                "/users/",
                &owner,
                json!({"email": "bob@example.com", "name": "Bob", "labels": [ours, bad]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body, expected, "{bad}");

        let me = app.id_of(&owner, OWNER_EMAIL).await;
        let reply = app
            .patch(
                &format!("/users/{me}/"),
                &owner,
                json!({"labels": [{"id": bad}]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body, expected, "{bad}");
    }
    // Nothing was written.
    let me = app.id_of(&owner, OWNER_EMAIL).await;
    assert_eq!(
        app.get(&format!("/users/{me}/"), &owner).await.body["labels"],
        json!([])
    );
    assert_eq!(app.get("/users/?search=bob", &owner).await.body["count"], 0);
}

#[actix_web::test]
async fn deleting_a_label_removes_it_from_users() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let ids = create_named(&app, &owner, &["Gone", "Stays"]).await;
    let mut users = Vec::new();
    for email in ["u1@example.com", "u2@example.com"] {
        let reply = app
            .post(
                "/users/",
                &owner,
                json!({"email": email, "name": "U", "labels": ids}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(label_names(&reply.body), ["Gone", "Stays"]);
        users.push(id_of(&reply.body));
    }

    let reply = app.delete(&label_path(&ids[0]), &owner).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    for id in &users {
        let user = app.get(&format!("/users/{id}/"), &owner).await.body;
        assert_eq!(label_names(&user), ["Stays"], "{user}");
    }
    // The deleted id is now unknown when assigned.
    let reply = app
        .patch(
            &format!("/users/{}/", users[0]),
            &owner,
            json!({"labels": [ids[0]]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.get("labels").is_some(), "{}", reply.body);
}
