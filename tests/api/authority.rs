//! Who may act on whom: a caller may change, deactivate, delete, invite, or
//! set the password or email of a user (or manage an API user's keys) only if
//! it holds every permission that user holds, wherever the user holds it.
//! The reproductions of the security review come first, then the controls
//! that must keep working, then each interface, then a property test of the
//! rule against a small model of it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    app.create(path, token, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A person with `roles` and `PASSWORD`, logged in: (id, token).
async fn person(app: &TestApp, owner: &str, email: &str, roles: Value) -> (String, String) {
    let id = created(
        app,
        owner,
        "/users/",
        json!({"email": email, "name": email.split('@').next().unwrap(),
               "password": PASSWORD, "user_roles": roles}),
    )
    .await;
    (id, app.login(email, PASSWORD).await)
}

/// A VIEWER holding a custom role of `permissions` at account tier (its
/// token) and an organization ADMIN (its id): the reviews' attacker and target.
async fn manager_and_admin(
    app: &TestApp,
    owner: &str,
    role_name: &str,
    permissions: &[&str],
) -> (String, String) {
    let manager_role = created(
        app,
        owner,
        "/roles/",
        json!({"name": role_name, "permissions": permissions}),
    )
    .await;
    let (_, manager) = person(
        app,
        owner,
        "manager@example.com",
        json!([{"role": "VIEWER"}, {"role": manager_role, "scope": {"tier": "account"}}]),
    )
    .await;
    let (admin, _) = person(app, owner, "admin@example.com", json!([{"role": "ADMIN"}])).await;
    (manager, admin)
}

/// The user as the OWNER sees it.
async fn seen(app: &TestApp, owner: &str, id: &str) -> Value {
    let reply = app.get(&format!("/users/{id}/"), owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: expected 403, got {}",
        reply.body
    );
}

/// The review's first reproduction: Jane, VIEWER and ADMIN of team T, may
/// not touch an organization-wide ADMIN, not even by first giving the ADMIN
/// a role at her team.
#[actix_web::test]
async fn a_team_admin_cannot_take_over_an_organization_admin() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = created(&app, &owner, "/teams/", json!({"name": "T"})).await;
    let (_, jane) = person(
        &app,
        &owner,
        "jane@example.com",
        json!([{"role": "VIEWER"}, {"role": "ADMIN", "scope": {"tier": "team"}, "team": team}]),
    )
    .await;
    let (boss, _) = person(&app, &owner, "boss@example.com", json!([{"role": "ADMIN"}])).await;
    let before = seen(&app, &owner, &boss).await;
    let path = format!("/users/{boss}/");

    let joined = app
        .patch(
            &path,
            &jane,
            json!({"user_roles": [{"role": "ADMIN"},
                                  {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": team}]}),
        )
        .await;
    assert_forbidden(&joined, "adding the boss to her team");
    for body in [
        json!({"active": false}),
        json!({"email": "jane+boss@example.com"}),
        json!({"password": "a-brand-new-secret-9"}),
        json!({"position": "Former boss"}),
        // Authorization comes before validation.
        json!({"email": "not an email"}),
    ] {
        assert_forbidden(
            &app.patch(&path, &jane, body.clone()).await,
            &body.to_string(),
        );
    }
    assert_forbidden(
        &app.put(
            &path,
            &jane,
            json!({"email": "boss@example.com", "name": "Boss"}),
        )
        .await,
        "PUT",
    );
    assert_forbidden(
        &app.post("/invitations/", &jane, json!({"user": boss}))
            .await,
        "inviting the boss",
    );
    assert_forbidden(
        &app.post(
            "/users/bulk/update/",
            &jane,
            json!({"ids": [boss], "active": false}),
        )
        .await,
        "bulk deactivation",
    );
    // Nothing changed, and the boss still logs in with its own password.
    assert_eq!(seen(&app, &owner, &boss).await, before);
    app.login("boss@example.com", PASSWORD).await;

    // Once the boss holds a role at her team (granted by the OWNER), she
    // still cannot act on it: the organization-wide ADMIN is beyond her.
    let joined = app
        .patch(
            &path,
            &owner,
            json!({"user_roles": [{"role": "ADMIN"},
                                  {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": team}]}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_forbidden(
        &app.patch(&path, &jane, json!({"active": false})).await,
        "deactivating a team member who is an organization ADMIN",
    );
}

/// The review's second reproduction: `users.view` + `users.manage` at
/// account tier may not set an ADMIN's password.
#[actix_web::test]
async fn users_manage_alone_cannot_set_an_admins_password() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (manager, admin) = manager_and_admin(
        &app,
        &owner,
        "User manager",
        &["users.view", "users.manage"],
    )
    .await;
    let set = app
        .patch(
            &format!("/users/{admin}/"),
            &manager,
            json!({"password": "taken-over-secret-77"}),
        )
        .await;
    assert_forbidden(&set, "setting an ADMIN's password");
    assert_eq!(
        app.try_login("admin@example.com", "taken-over-secret-77")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    app.login("admin@example.com", PASSWORD).await;
    assert_forbidden(
        &app.delete(&format!("/users/{admin}/"), &manager).await,
        "deleting an ADMIN",
    );
    // A plain EMPLOYEE is within its reach.
    let (employee, _) = person(&app, &owner, "e@example.com", json!([{"role": "EMPLOYEE"}])).await;
    let set = app
        .patch(
            &format!("/users/{employee}/"),
            &manager,
            json!({"password": "a-reset-by-manager-5"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    app.login("e@example.com", "a-reset-by-manager-5").await;
}

/// The controls the issue names: a team ADMIN edits a plain member of its
/// team (and sets its password, which needs no more than a position does),
/// an organization ADMIN edits another, an OWNER edits anyone.
#[actix_web::test]
async fn the_rule_leaves_legitimate_management_alone() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = created(&app, &owner, "/teams/", json!({"name": "T"})).await;
    let (_, lead) = person(
        &app,
        &owner,
        "lead@example.com",
        json!([{"role": "VIEWER"}, {"role": "ADMIN", "scope": {"tier": "team"}, "team": team}]),
    )
    .await;
    let (member, _) = person(
        &app,
        &owner,
        "member@example.com",
        json!([{"role": "EMPLOYEE"}, {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": team}]),
    )
    .await;
    for body in [
        json!({"position": "Engineer"}),
        json!({"password": "chosen-by-the-lead-3"}),
        json!({"user_roles": [{"role": "EMPLOYEE"},
                              {"role": "ADMIN", "scope": {"tier": "team"}, "team": team}]}),
    ] {
        let reply = app
            .patch(&format!("/users/{member}/"), &lead, body.clone())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{body}: {}", reply.body);
    }
    // Joining the team: an EMPLOYEE of the organization is within reach.
    let (newcomer, _) = person(
        &app,
        &owner,
        "new@example.com",
        json!([{"role": "EMPLOYEE"}]),
    )
    .await;
    let joined = app
        .patch(
            &format!("/users/{newcomer}/"),
            &lead,
            json!({"user_roles": [{"role": "EMPLOYEE"},
                                  {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": team}]}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);

    let (first, admin) = person(&app, &owner, "a1@example.com", json!([{"role": "ADMIN"}])).await;
    let (second, _) = person(&app, &owner, "a2@example.com", json!([{"role": "ADMIN"}])).await;
    let edited = app
        .patch(
            &format!("/users/{second}/"),
            &admin,
            json!({"name": "Second"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    // ...but not an OWNER.
    let (other_owner, _) = person(&app, &owner, "o2@example.com", json!([{"role": "OWNER"}])).await;
    assert_forbidden(
        &app.patch(
            &format!("/users/{other_owner}/"),
            &admin,
            json!({"name": "X"}),
        )
        .await,
        "an ADMIN editing an OWNER",
    );
    for id in [&first, &second, &other_owner, &member] {
        let reply = app
            .patch(
                &format!("/users/{id}/"),
                &owner,
                json!({"position": "Checked"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}

/// A key acts as its API user, so minting, listing or revoking one needs
/// every permission the API user holds.
#[actix_web::test]
async fn keys_of_a_more_powerful_api_user_are_out_of_reach() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = person(
        &app,
        &owner,
        "admin@example.com",
        json!([{"role": "ADMIN"}]),
    )
    .await;
    let api_user = |name: &str, roles: Value| json!({"name": name, "email": format!("{name}@apps.example.com"), "user_roles": roles});
    let mighty = created(
        &app,
        &owner,
        "/api-users/",
        api_user("mighty", json!([{"role": "OWNER"}])),
    )
    .await;
    let billing = created(
        &app,
        &owner,
        "/api-users/",
        api_user(
            "billing",
            json!([{"role": "EMPLOYEE"}, {"role": "BILLING"}]),
        ),
    )
    .await;
    let plain = created(
        &app,
        &owner,
        "/api-users/",
        api_user("plain", json!([{"role": "EMPLOYEE"}])),
    )
    .await;
    for id in [&mighty, &billing] {
        let keys = format!("/api-users/{id}/keys/");
        assert_forbidden(
            &app.post(&keys, &admin, json!({"name": "stolen"})).await,
            "minting a key",
        );
        assert_forbidden(&app.get(&keys, &admin).await, "listing keys");
        let key = app.create(&keys, &owner, json!({"name": "real"})).await;
        let key_id = key["id"].as_str().unwrap();
        assert_forbidden(
            &app.delete(&format!("{keys}{key_id}/"), &admin).await,
            "revoking a key",
        );
        // The OWNER's key still works.
        let secret = key["key"].as_str().unwrap();
        assert_eq!(app.get("/account/", secret).await.status, StatusCode::OK);
    }
    let keys = format!("/api-users/{plain}/keys/");
    let key = app.create(&keys, &admin, json!({"name": "ok"})).await;
    let listed = app.get(&keys, &admin).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let revoked = app
        .delete(&format!("{keys}{}/", key["id"].as_str().unwrap()), &admin)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    // Nor can the ADMIN take the OWNER API user over by editing it.
    assert_forbidden(
        &app.patch(
            &format!("/api-users/{mighty}/"),
            &admin,
            json!({"name": "mine"}),
        )
        .await,
        "editing an OWNER API user",
    );
}

/// The same rule holds through MCP and SCIM, which call the same service.
#[actix_web::test]
async fn mcp_and_scim_apply_the_same_rule() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (manager, admin) = manager_and_admin(
        &app,
        &owner,
        "Provisioner",
        &[
            "users.view",
            "users.manage",
            "roles.grant",
            "scim.provision",
        ],
    )
    .await;
    let before = seen(&app, &owner, &admin).await;
    let org = app.get("/account/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for (tool, arguments) in [
        (
            "deactivateUser",
            json!({"organization_id": org, "profile_id": admin}),
        ),
        (
            "updateUser",
            json!({"id": admin, "full_name": "Taken", "kind": "EMPLOYEE"}),
        ),
        (
            "removeUser",
            json!({"organization_id": org, "profile_id": admin}),
        ),
        (
            "inviteUser",
            json!({"organization_id": org, "profile_id": admin}),
        ),
    ] {
        let answer = mcp_call(&app, &manager, tool, arguments).await;
        assert_eq!(answer["result"]["isError"], true, "{tool}: {answer}");
        let message = answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("permission"), "{tool}: {answer}");
    }

    let scim = |method: Method, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&format!("/scim/v2/Users/{admin}")))
            .bearer_auth(&manager);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        request.send()
    };
    let patched = Reply::from(
        scim(
            Method::PATCH,
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            ),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(patched.status, StatusCode::FORBIDDEN, "{}", patched.body);
    assert_eq!(patched.body["status"], "403", "{}", patched.body);
    let deleted = Reply::from(scim(Method::DELETE, None).await.unwrap()).await;
    assert_eq!(deleted.status, StatusCode::FORBIDDEN, "{}", deleted.body);
    assert_eq!(seen(&app, &owner, &admin).await, before);
}

async fn mcp_call(app: &TestApp, token: &str, name: &str, arguments: Value) -> Value {
    let response = app
        .client
        .post(app.url("/api/mcp/v1"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": arguments}}))
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(response).await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.body);
    reply.body
}

/// Another organization's users are not found, whoever asks.
#[actix_web::test]
async fn another_organizations_user_is_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other_owner = app.second_organization("other@example.com").await;
    let (theirs, _) = person(
        &app,
        &other_owner,
        "theirs@example.com",
        json!([{"role": "EMPLOYEE"}]),
    )
    .await;
    for reply in [
        app.patch(
            &format!("/users/{theirs}/"),
            &owner,
            json!({"active": false}),
        )
        .await,
        app.patch(
            &format!("/users/{theirs}/"),
            &owner,
            json!({"password": "some-new-secret-1"}),
        )
        .await,
        app.delete(&format!("/users/{theirs}/"), &owner).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    }
}
