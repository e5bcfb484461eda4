//! `POST /users/bulk/{update,delete}/` and `/api-users/bulk/...` (API.md §2):
//! one transaction, every per-user rule applied to each id, all or nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, TestApp, spawn_app};

const FORBIDDEN: &str = "You do not have permission to perform this action.";
const LAST_OWNER: &str =
    "The last active owner of the organization cannot be deleted, deactivated or demoted.";
const NOT_IN_BULK: &str = "This field cannot be changed in bulk.";

async fn members(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            app.create_member(token, &format!("m{i}@example.com"), "EMPLOYEE")
                .await,
        );
    }
    ids
}

async fn user(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app.get(&format!("/users/{id}/"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

async fn api_user_id(app: &TestApp, token: &str, email: &str) -> String {
    let reply = app
        .post("/api-users/", token, json!({"name": "app", "email": email}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn bulk_update_changes_every_user_stamped_by_the_caller() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 3).await;
    let mut sent = ids.clone();
    sent.push(ids[0].clone());

    let reply = app
        .post(
            "/users/bulk/update/",
            &token,
            json!({"ids": sent, "active": false, "position": "Auditor"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"ids": ids}));
    for id in &ids {
        let u = user(&app, &token, id).await;
        assert_eq!(u["active"], false);
        assert_eq!(u["position"], "Auditor");
        assert_eq!(u["changed_by"]["email"], OWNER_EMAIL);
    }
}

#[actix_web::test]
async fn bulk_delete_removes_every_user() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 2).await;

    let reply = app
        .post("/users/bulk/delete/", &token, json!({"ids": ids}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"ids": ids}));
    for id in &ids {
        let reply = app.get(&format!("/users/{id}/"), &token).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
}

#[actix_web::test]
async fn ids_are_required_non_empty_and_at_most_1000() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let many: Vec<String> = (0..1001).map(|i| format!("x{i}")).collect();
    for path in ["/users/bulk/update/", "/users/bulk/delete/"] {
        for body in [
            json!({}),
            json!({"ids": []}),
            json!({"ids": many}),
            json!({"ids": "abc"}),
            json!({"ids": [1, {"id": "x"}]}),
        ] {
            let reply = app.post(path, &token, body.clone()).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path} {body}");
            assert!(reply.body["ids"].is_array(), "{path}: {}", reply.body);
        }
    }
    let reply = app.get("/users/bulk/update/", &token).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[actix_web::test]
async fn email_and_password_cannot_be_bulk_updated() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 1).await;
    for field in ["email", "password"] {
        let reply = app
            .post(
                "/users/bulk/update/",
                &token,
                json!({"ids": ids, field: "new-value-123@example.com"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.body, json!({field: [NOT_IN_BULK]}));
    }
    // Invalid shared fields: a plain 400 on the field, nothing changed.
    let reply = app
        .post(
            "/users/bulk/update/",
            &token,
            json!({"ids": ids, "active": "maybe", "position": "X"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["active"].is_array(), "{}", reply.body);
    assert!(reply.body.get("ids").is_none(), "{}", reply.body);
    assert_eq!(user(&app, &token, &ids[0]).await["position"], Value::Null);
}

#[actix_web::test]
async fn unknown_ids_are_a_404_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 2).await;
    let other = app.second_organization("other@example.com").await;
    let foreign = app.create_member(&other, "f@example.com", "EMPLOYEE").await;
    let sent = json!([ids[0], "not-an-id", foreign, ids[1]]);

    let reply = app
        .post(
            "/users/bulk/update/",
            &token,
            json!({"ids": sent, "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"detail": "Not found.", "invalid_ids": ["not-an-id", foreign]})
    );
    for id in &ids {
        assert_eq!(user(&app, &token, id).await["active"], true);
    }

    let reply = app
        .post("/users/bulk/delete/", &token, json!({"ids": sent}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body["invalid_ids"], json!(["not-an-id", foreign]));
    for id in &ids {
        user(&app, &token, id).await;
    }
    // The other organization's member is untouched too.
    user(&app, &other, &foreign).await;
}

#[actix_web::test]
async fn the_last_owner_fails_its_id_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 2).await;
    let owner = app.id_of(&token, OWNER_EMAIL).await;
    let sent = json!([ids[0], owner, ids[1]]);

    let reply = app
        .post(
            "/users/bulk/update/",
            &token,
            json!({"ids": sent, "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"ids": {owner.clone(): {"active": [LAST_OWNER]}}})
    );
    for id in &ids {
        assert_eq!(user(&app, &token, id).await["active"], true);
    }

    let reply = app
        .post("/users/bulk/delete/", &token, json!({"ids": sent}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"ids": {owner.clone(): {"non_field_errors": [LAST_OWNER]}}})
    );
    for id in &ids {
        user(&app, &token, id).await;
    }
    assert_eq!(user(&app, &token, &owner).await["active"], true);
}

#[actix_web::test]
async fn every_failing_id_is_reported() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 2).await;
    // Each user gets a contract start after the shared end date.
    for id in &ids {
        let reply = app
            .patch(
                &format!("/users/{id}/"),
                &token,
                json!({"contract_start_date": "2030-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let fine = app
        .create_member(&token, "fine@example.com", "EMPLOYEE")
        .await;
    let reply = app
        .post(
            "/users/bulk/update/",
            &token,
            json!({"ids": [ids[0], fine, ids[1]], "contract_end_date": "2025-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let failed = reply.body["ids"].as_object().unwrap();
    assert_eq!(failed.len(), 2, "{}", reply.body);
    for id in &ids {
        assert!(failed[id]["contract_end_date"].is_array(), "{}", reply.body);
    }
    assert_eq!(
        user(&app, &token, &fine).await["contract_end_date"],
        Value::Null
    );
}

#[actix_web::test]
async fn an_employee_is_forbidden() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ids = members(&app, &token, 2).await;
    let (_, employee) = app.member(&token, "e@example.com", "EMPLOYEE").await;

    let reply = app
        .post(
            "/users/bulk/update/",
            &employee,
            json!({"ids": ids, "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(reply.body["detail"], FORBIDDEN);
    let reply = app
        .post("/users/bulk/delete/", &employee, json!({"ids": ids}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    for id in &ids {
        assert_eq!(user(&app, &token, id).await["active"], true);
    }
    let reply = app
        .post("/users/bulk/delete/", "", json!({"ids": ids}))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn api_users_have_their_own_bulk_endpoints() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let a = api_user_id(&app, &token, "a@apps.example.com").await;
    let b = api_user_id(&app, &token, "b@apps.example.com").await;
    let person = app.create_member(&token, "p@example.com", "EMPLOYEE").await;

    let reply = app
        .post(
            "/api-users/bulk/update/",
            &token,
            json!({"ids": [a, b, person], "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body["invalid_ids"], json!([person]));
    let reply = app
        .post("/users/bulk/delete/", &token, json!({"ids": [a, person]}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body["invalid_ids"], json!([a]));

    let reply = app
        .post(
            "/api-users/bulk/update/",
            &token,
            json!({"ids": [a, b], "active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for id in [&a, &b] {
        let got = app.get(&format!("/api-users/{id}/"), &token).await;
        assert_eq!(got.body["active"], false, "{}", got.body);
    }
    let reply = app
        .post("/api-users/bulk/delete/", &token, json!({"ids": [a, b]}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"ids": [a, b]}));
    for id in [&a, &b] {
        let got = app.get(&format!("/api-users/{id}/"), &token).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND);
    }
    user(&app, &token, &person).await;
}
