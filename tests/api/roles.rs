//! `/permissions/` and `/roles/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_permission_catalogue_is_listed_to_every_member() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, viewer) = app.member(&owner, "v@example.com", "VIEWER").await;
    let reply = app.get("/permissions/", &viewer).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let names: Vec<&str> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 19);
    for name in [
        "tokens.introspect",
        "authz.check",
        "users.view",
        "users.manage",
        "roles.grant",
        "owner.grant",
        "billing.manage",
        "scim.provision",
        "sso.manage",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(
        reply.body[0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let anonymous = app
        .call(reqwest::Method::GET, "/permissions/", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn builtin_roles_carry_exactly_the_documented_permissions() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let reply = app.get("/roles/?length=100", &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 6);
    let role = |name: &str| {
        reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(role("OWNER")["permissions"].as_array().unwrap().len(), 19);
    let admin = role("ADMIN")["permissions"].clone();
    assert_eq!(admin.as_array().unwrap().len(), 17);
    assert!(admin.as_array().unwrap().contains(&json!("sso.manage")));
    assert!(
        admin
            .as_array()
            .unwrap()
            .contains(&json!("tokens.introspect"))
    );
    assert!(admin.as_array().unwrap().contains(&json!("authz.check")));
    assert!(!admin.as_array().unwrap().contains(&json!("owner.grant")));
    assert!(!admin.as_array().unwrap().contains(&json!("billing.manage")));
    assert_eq!(
        role("EMPLOYEE")["permissions"],
        json!(["users.view", "targets.view"])
    );
    assert_eq!(
        role("VIEWER")["permissions"],
        json!(["users.view", "targets.view"])
    );
    assert_eq!(
        role("AUDITOR")["permissions"],
        json!([
            "users.view",
            "targets.view",
            "audit.view",
            "access_review.view",
            "authz.check"
        ])
    );
    assert_eq!(role("BILLING")["permissions"], json!(["billing.manage"]));
    assert_eq!(role("OWNER")["builtin"], true);

    let id = role("ADMIN")["id"].as_str().unwrap().to_owned();
    let one = app.get(&format!("/roles/{id}/"), &owner).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["name"], "ADMIN");
    for reply in [
        app.patch(
            &format!("/roles/{id}/"),
            &owner,
            json!({"description": "mine"}),
        )
        .await,
        app.put(&format!("/roles/{id}/"), &owner, json!({"name": "Boss"}))
            .await,
        app.delete(&format!("/roles/{id}/"), &owner).await,
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.body["detail"], "Built-in roles are read-only.");
    }
}

#[actix_web::test]
async fn custom_roles_are_created_updated_assigned_and_deleted() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let created = app
        .post(
            "/roles/",
            &owner,
            json!({"name": "Team lead", "description": "Leads a team",
                   "permissions": ["users.view", "users.manage", "users.view"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/roles/{id}/").as_str())
    );
    assert_eq!(
        created.body["permissions"],
        json!(["users.view", "users.manage"])
    );
    assert_eq!(created.body["builtin"], false);

    let patched = app
        .patch(
            &format!("/roles/{id}/"),
            &owner,
            json!({"permissions": ["teams.manage"]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["permissions"], json!(["teams.manage"]));
    assert_eq!(patched.body["description"], "Leads a team");

    let put_without_name = app
        .put(
            &format!("/roles/{id}/"),
            &owner,
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(put_without_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        put_without_name.body["name"],
        json!(["This field is required."])
    );

    // Assigned at account tier next to the membership role.
    let user = app
        .post(
            "/users/",
            &owner,
            json!({"email": "lead@example.com", "name": "Lead",
                   "user_roles": [{"role": "EMPLOYEE"}, {"role": {"id": id}, "scope": {"tier": "account"}}]}),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
    let user_id = user.body["id"].as_str().unwrap().to_owned();
    assert_eq!(user.body["user_roles"].as_array().unwrap().len(), 2);

    let refused = app.delete(&format!("/roles/{id}/"), &owner).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body["non_field_errors"][0]
            .as_str()
            .unwrap()
            .contains("1 user holds it")
    );

    let dropped = app
        .patch(
            &format!("/users/{user_id}/"),
            &owner,
            json!({"user_roles": [{"role": "EMPLOYEE"}]}),
        )
        .await;
    assert_eq!(dropped.status, StatusCode::OK, "{}", dropped.body);
    let deleted = app.delete(&format!("/roles/{id}/"), &owner).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        app.get(&format!("/roles/{id}/"), &owner).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn custom_role_validation() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let cases = [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "owner"}), "name"),
        (
            json!({"name": "R", "permissions": ["owner.grant"]}),
            "permissions",
        ),
        (
            json!({"name": "R", "permissions": ["billing.manage"]}),
            "permissions",
        ),
        (
            json!({"name": "R", "permissions": ["users.fly"]}),
            "permissions",
        ),
        (
            json!({"name": "R", "permissions": "users.view"}),
            "permissions",
        ),
        (
            json!({"name": "R", "description": "d".repeat(1001)}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/roles/", &owner, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert!(reply.body.get(field).is_some(), "{body}: {}", reply.body);
    }
    let first = app
        .post("/roles/", &owner, json!({"name": "Auditors+"}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let duplicate = app
        .post("/roles/", &owner, json!({"name": "AUDITORS+"}))
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        duplicate.body,
        json!({"name": ["role with this name already exists."]})
    );
    assert_eq!(
        app.get("/roles/?search=auditors%2B", &owner).await.body["count"],
        1
    );
}

#[actix_web::test]
async fn only_role_managers_write_roles_and_never_beyond_their_own_permissions() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, employee) = app.member(&owner, "e@example.com", "EMPLOYEE").await;
    let (_, admin) = app.member(&owner, "a@example.com", "ADMIN").await;
    assert_eq!(app.get("/roles/", &employee).await.status, StatusCode::OK);
    let forbidden = app
        .post("/roles/", &employee, json!({"name": "Mine"}))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // Forbidden even with an invalid body: authorization comes first.
    let forbidden = app.post("/roles/", &employee, json!({"name": ""})).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let created = app
        .post(
            "/roles/",
            &admin,
            json!({"name": "Helpers", "permissions": ["users.view"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/roles/{id}/"), &employee).await.status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn roles_of_another_organization_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("boss@other.example.com").await;
    let created = app.post("/roles/", &other, json!({"name": "Theirs"})).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    for reply in [
        app.get(&format!("/roles/{id}/"), &owner).await,
        app.patch(&format!("/roles/{id}/"), &owner, json!({"name": "Ours"}))
            .await,
        app.delete(&format!("/roles/{id}/"), &owner).await,
        app.get("/roles/not-an-id/", &owner).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    }
    assert_eq!(
        app.get("/roles/?search=theirs", &owner).await.body["count"],
        0
    );
    // Nor can it be assigned: a 400 "unknown id" inside a body.
    let user = app
        .post(
            "/users/",
            &owner,
            json!({"email": "x@example.com", "name": "X",
               "user_roles": [{"role": "EMPLOYEE"}, {"role": id}]}),
        )
        .await;
    assert_eq!(user.status, StatusCode::BAD_REQUEST, "{}", user.body);
    assert!(
        user.body["user_roles"][1]["role"][0]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
}
