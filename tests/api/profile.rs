//! `/profile/`, `/profile/change_password/` and `/account/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn a_member_reads_and_edits_its_own_profile_but_not_its_privileges() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "ann@example.com", "VIEWER").await;
    let me = app.get("/profile/", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["id"], id.as_str());
    let patched = app
        .patch(
            "/profile/",
            &token,
            json!({"name": "Ann B", "position": "Engineer", "kind": "Contractor",
                   "active": false, "user_roles": [{"role": "OWNER"}], "labels": ["x"],
                   "contract_end_date": "2020-01-01", "password": "nope"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "Ann B");
    assert_eq!(patched.body["position"], "Engineer");
    assert_eq!(patched.body["kind"], "contractor");
    assert_eq!(patched.body["active"], true, "active is ignored");
    assert_eq!(
        patched.body["user_roles"][0]["role"]["name"], "VIEWER",
        "roles are ignored"
    );
    assert_eq!(patched.body["contract_end_date"], serde_json::Value::Null);
    assert_eq!(patched.body["changed_by"]["id"], id.as_str());
    // Still logs in with the old password: the password field was ignored.
    app.login("ann@example.com", PASSWORD).await;
    let bad = app
        .patch("/profile/", &token, json!({"name": "", "email": "nope"}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.get("name").is_some() && bad.body.get("email").is_some(),
        "{}",
        bad.body
    );
    let taken = app
        .patch("/profile/", &token, json!({"email": "OWNER@example.com"}))
        .await;
    assert_eq!(
        taken.body,
        json!({"email": ["user with this email already exists."]})
    );
    let anonymous = app
        .call(reqwest::Method::GET, "/profile/", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn changing_the_password_ends_earlier_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "bob@example.com", "EMPLOYEE").await;
    let path = "/profile/change_password/";
    let cases = [
        (
            json!({}),
            vec!["current_password", "password", "confpassword"],
        ),
        (
            json!({"current_password": PASSWORD, "password": "short", "confpassword": "short"}),
            vec!["password"],
        ),
        (
            json!({"current_password": PASSWORD, "password": "new-pass-123", "confpassword": "new-pass-124"}),
            vec!["confpassword"],
        ),
        (
            json!({"current_password": "wrong-pass-1", "password": "new-pass-123", "confpassword": "new-pass-123"}),
            vec!["current_password"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.post(path, &token, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        for field in fields {
            assert!(reply.body.get(field).is_some(), "{body}: {}", reply.body);
        }
    }
    let ok = app
        .post(path, &token, json!({"current_password": PASSWORD, "password": "new-pass-123", "confpassword": "new-pass-123"}))
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    assert_eq!(
        app.get("/profile/", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.login("bob@example.com", "new-pass-123").await;
    assert_eq!(app.get("/profile/", &fresh).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn the_account_is_read_by_members_and_renamed_with_account_manage() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, employee) = app.member(&owner, "e@example.com", "EMPLOYEE").await;
    let account = app.get("/account/", &employee).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    assert_eq!(account.body["name"], "Acme");
    assert_eq!(account.body["id"].as_str().unwrap().len(), 12);
    assert_eq!(
        app.patch("/account/", &employee, json!({"name": "Mine"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let blank = app.patch("/account/", &owner, json!({"name": " "})).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.get("name").is_some());
    let renamed = app
        .patch("/account/", &owner, json!({"name": "Acme Corp"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Acme Corp");
    // Another organization sees its own account only.
    let other = app.second_organization("boss@other.example.com").await;
    assert_eq!(app.get("/account/", &other).await.body["name"], "Other Org");
}
