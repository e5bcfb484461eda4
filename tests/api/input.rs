//! Input that must be refused (issue #18, section 5): NUL characters in
//! every interface, emails carrying invisible characters, weak passwords,
//! and webhook targets outside the globally reachable address space. Each
//! refusal is a 400 in the interface's own error format, and nothing is
//! written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, spawn_app};

const NUL_REFUSED: &str = "Null characters are not allowed.";
const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const SCIM_PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SECRET: &str = "whsec_0123456789abcdef";

/// What the database holds, as the API shows it: the audit trail's length
/// (every write appends to it) and the size of every collection.
async fn footprint(app: &TestApp, token: &str) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for path in [
        "/audit-events/",
        "/users/",
        "/api-users/",
        "/labels/users/",
        "/teams/",
        "/targets/",
        "/roles/",
        "/webhooks/",
        "/invitations/",
        "/keys/",
    ] {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        let count = match &reply.body {
            Value::Array(items) => json!(items.len()),
            page => page["count"].clone(),
        };
        seen.push((path.to_owned(), count));
    }
    seen
}

/// An API user holding ADMIN and its key (for SCIM and MCP).
async fn admin_key(app: &TestApp, owner: &str) -> String {
    let created = app
        .create(
            "/api-users/",
            owner,
            json!({"name": "idp", "email": "idp@example.com", "user_roles": [{"role": "ADMIN"}]}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    app.create(
        &format!("/api-users/{id}/keys/"),
        owner,
        json!({"name": "k"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn scim(app: &TestApp, method: Method, path: &str, key: &str, body: Option<String>) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/scim+json")
            .body(body);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn mcp_call(app: &TestApp, key: &str, name: &str, arguments: Value) -> Reply {
    let response = app
        .client
        .post(app.url("/api/mcp/v1"))
        .bearer_auth(key)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": arguments}}))
        .send()
        .await
        .expect("request sent");
    Reply::from(response).await
}

fn encoded(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[actix_web::test]
async fn nul_characters_in_fields_nothing_reads_are_ignored() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let nul = "a\u{0}b";
    // A field no operation reads is ignored, NUL or not (DRF drops
    // undeclared fields), and the fields it does read are written.
    let reply = app
        .patch(
            "/account/",
            &owner,
            json!({"name": "Renamed", "unknown": nul, "x\u{0}": {"y": nul}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["name"], "Renamed");
}

#[actix_web::test]
async fn nul_characters_are_refused_everywhere_and_nothing_is_written() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (member_id, _) = app.member(&owner, "member@example.com", "EMPLOYEE").await;
    let key = admin_key(&app, &owner).await;
    let label = app
        .create("/labels/users/", &owner, json!({"name": "L"}))
        .await;
    let label_id = label["id"].as_str().unwrap();
    let webhook = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/x", "events": ["*"], "secret": SECRET}),
        )
        .await;
    let webhook_id = webhook["id"].as_str().unwrap();
    let org = app.get("/account/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = footprint(&app, &owner).await;

    // Every list endpoint, every parameter it reads.
    let listed = ["search", "ordering", "page", "length"];
    let paged = ["page", "length"];
    let deliveries = format!("/webhooks/{webhook_id}/deliveries/");
    let lists: [(&str, &[&str], &[&str]); 11] = [
        (
            "/users/",
            &listed,
            &[
                "state",
                "kind",
                "label",
                "label_logical_operator",
                "role",
                "team",
                "target",
                "exclude",
                "id",
                "active",
                "mfa_enabled",
                "no_access",
            ],
        ),
        ("/api-users/", &listed, &["active", "label"]),
        ("/labels/users/", &listed, &[]),
        ("/teams/", &listed, &[]),
        ("/targets/", &listed, &[]),
        ("/roles/", &listed, &[]),
        ("/webhooks/", &paged, &[]),
        (&deliveries, &paged, &[]),
        (
            "/audit-events/",
            &paged,
            &[
                "ordering",
                "actor",
                "object_type",
                "object_id",
                "action",
                "since",
                "until",
            ],
        ),
        (
            "/access-review/",
            &paged,
            &["user", "role", "team", "target", "permission", "format"],
        ),
        ("/invitations/", &paged, &["status", "user"]),
    ];
    for (path, common, own) in lists {
        for param in common.iter().chain(own) {
            let reply = app.get(&format!("{path}?{param}=a%00b"), &owner).await;
            assert_eq!(
                (reply.status, &reply.body),
                (StatusCode::BAD_REQUEST, &json!({*param: [NUL_REFUSED]})),
                "{path}?{param}"
            );
        }
        // A parameter it does not read is ignored, as DRF ignores it: the
        // NUL in it reaches nothing.
        let reply = app.get(&format!("{path}?unknown=a%00b"), &owner).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{path}?unknown: {}",
            reply.body
        );
    }
    // Repeated, and beside good parameters: one message for the parameter.
    let reply = app
        .get("/users/?label=a%00&label=b%00&search=ok", &owner)
        .await;
    assert_eq!(reply.body, json!({"label": [NUL_REFUSED]}));
    // SQLite's full-text search and PostgreSQL alike never see it.
    let reply = app.get("/users/?search=%00", &owner).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // Path segments: an id holding a NUL is not an id.
    for (method, path) in [
        (Method::GET, "/users/a%00b/"),
        (Method::DELETE, "/users/a%00b/"),
        (Method::GET, "/api-users/a%00b/"),
        (Method::GET, "/labels/users/a%00b/"),
        (Method::GET, "/teams/a%00b/"),
        (Method::GET, "/targets/a%00b/"),
        (Method::GET, "/roles/a%00b/"),
        (Method::GET, "/webhooks/a%00b/"),
        (Method::GET, "/webhooks/a%00b/deliveries/"),
        (Method::GET, "/invitations/a%00b/"),
        (Method::GET, "/audit-events/a%00b/"),
        (Method::DELETE, "/keys/a%00b/"),
        (Method::GET, "/api-users/a%00b/keys/"),
    ] {
        let reply = app.call(method.clone(), path, Some(&owner), None).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.body
        );
    }

    // Bodies: JSON (escaped) and forms (percent-encoded), each field named.
    let nul = "a\u{0}b";
    let bodies: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/users/".into(),
            json!({"email": "n@example.com", "name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/users/".into(),
            json!({"email": format!("{nul}@example.com"), "name": "N"}),
            "email",
        ),
        (
            Method::POST,
            "/users/".into(),
            json!({"email": "n@example.com", "name": "N", "password": format!("{PASSWORD}{nul}")}),
            "password",
        ),
        (
            Method::POST,
            "/users/".into(),
            json!({"email": "n@example.com", "name": "N", "user_roles": [{"role": nul}]}),
            "user_roles",
        ),
        (
            Method::POST,
            "/users/".into(),
            json!({"email": "n@example.com", "name": "N", "labels": [nul]}),
            "labels",
        ),
        (
            Method::POST,
            "/users/".into(),
            json!({"email": "n@example.com", "name": "N", "additional_email_addresses": [format!("x{nul}@example.com")]}),
            "additional_email_addresses",
        ),
        (
            Method::PATCH,
            format!("/users/{member_id}/"),
            json!({"position": nul}),
            "position",
        ),
        (
            Method::PUT,
            format!("/users/{member_id}/"),
            json!({"email": "member@example.com", "name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/users/bulk/update/".into(),
            json!({"ids": [nul], "active": true}),
            "ids",
        ),
        (
            Method::POST,
            "/users/bulk/delete/".into(),
            json!({"ids": [member_id, nul]}),
            "ids",
        ),
        (
            Method::POST,
            "/api-users/".into(),
            json!({"email": "app@example.com", "name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/labels/users/".into(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::PATCH,
            format!("/labels/users/{label_id}/"),
            json!({"color": nul}),
            "color",
        ),
        (
            Method::POST,
            "/teams/".into(),
            json!({"name": "T", "description": nul}),
            "description",
        ),
        (
            Method::POST,
            "/targets/".into(),
            json!({"name": "X", "url": format!("https://x.example.com/{nul}")}),
            "url",
        ),
        (
            Method::POST,
            "/roles/".into(),
            json!({"name": "R", "permissions": [nul]}),
            "permissions",
        ),
        (
            Method::POST,
            "/webhooks/".into(),
            json!({"url": format!("https://hooks.example.com/{nul}"), "events": ["*"], "secret": SECRET}),
            "url",
        ),
        (
            Method::PATCH,
            format!("/webhooks/{webhook_id}/"),
            json!({"secret": format!("{SECRET}{nul}")}),
            "secret",
        ),
        (Method::POST, "/keys/".into(), json!({"name": nul}), "name"),
        (
            Method::POST,
            "/invitations/".into(),
            json!({"user": nul}),
            "user",
        ),
        (
            Method::PATCH,
            "/account/".into(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::PATCH,
            "/profile/".into(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::POST,
            "/profile/change_password/".into(),
            json!({"current_password": OWNER_PASSWORD, "password": format!("{PASSWORD}{nul}"), "confpassword": PASSWORD}),
            "password",
        ),
        (
            Method::POST,
            "/profile/mfa/confirm/".into(),
            json!({"otp": nul}),
            "otp",
        ),
    ];
    for (method, path, body, field) in &bodies {
        let reply = app
            .call(method.clone(), path, Some(&owner), Some(body.clone()))
            .await;
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::BAD_REQUEST, &json!({*field: [NUL_REFUSED]})),
            "{method} {path} {body}"
        );
    }
    // Unauthenticated endpoints refuse it the same way.
    for (path, body, field) in [
        (
            "/auth/obtain/",
            json!({"username": nul, "password": "x"}),
            "username",
        ),
        (
            "/auth/obtain/",
            json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD, "organization": nul}),
            "organization",
        ),
        (
            "/auth/obtain/",
            json!({"username": OWNER_EMAIL, "password": nul}),
            "password",
        ),
        ("/auth/refresh/", json!({"token": nul}), "token"),
        ("/auth/verify/", json!({"token": nul}), "token"),
        ("/auth/revoke/", json!({"token": nul}), "token"),
        (
            "/auth/password_reset/",
            json!({"email": format!("{OWNER_EMAIL}{nul}")}),
            "email",
        ),
        (
            "/auth/password_reset/confirm/",
            json!({"token": nul, "password": "a-fine-pass-77"}),
            "token",
        ),
        (
            "/invitations/accept/",
            json!({"token": "t", "password": nul}),
            "password",
        ),
    ] {
        let reply = app.call(Method::POST, path, None, Some(body.clone())).await;
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::BAD_REQUEST, &json!({field: [NUL_REFUSED]})),
            "{path} {body}"
        );
    }
    // A form body, percent-encoded.
    let reply = Reply::from(
        app.client
            .post(app.url("/labels/users/"))
            .header("Authorization", format!("JWT {owner}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("name=a%00b&color=%23ABCDEF")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body, json!({"name": [NUL_REFUSED]}));
    // The pages a mailed link opens read their token from the query string.
    for path in [
        "/auth/password_reset/confirm/?token=a%00b",
        "/invitations/accept/?token=a%00b",
    ] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
    }

    // SCIM: filters are invalidFilter, bodies and other parameters invalidValue.
    for (path, scim_type) in [
        (
            format!("/Users?filter={}", encoded(r#"userName eq "a\u0000b""#)),
            "invalidFilter",
        ),
        (
            format!("/Users?filter={}", encoded("userName eq \"a\u{0}b\"")),
            "invalidFilter",
        ),
        (
            format!("/Users?filter={}", encoded(r#"externalId eq "x\u0000""#)),
            "invalidFilter",
        ),
        (
            format!("/Groups?filter={}", encoded(r#"displayName eq "a\u0000b""#)),
            "invalidFilter",
        ),
        ("/Users?sortBy=a%00b".to_owned(), "invalidValue"),
        ("/Users?attributes=a%00b".to_owned(), "invalidValue"),
    ] {
        let reply = scim(&app, Method::GET, &path, &key, None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.body["schemas"], json!([SCIM_ERROR]), "{path}");
        assert_eq!(reply.body["scimType"], scim_type, "{path}: {}", reply.body);
    }
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": r#"userName eq "a\u0000b""#});
    let reply = scim(
        &app,
        Method::POST,
        "/Users/.search",
        &key,
        Some(search.to_string()),
    )
    .await;
    assert_eq!(reply.body["scimType"], "invalidFilter", "{}", reply.body);
    for (method, path, body) in [
        (
            Method::POST,
            "/Users".to_owned(),
            json!({"schemas": [SCIM_USER], "userName": format!("s{nul}@example.com")}),
        ),
        (
            Method::POST,
            "/Users".to_owned(),
            json!({"schemas": [SCIM_USER], "userName": "s@example.com", "externalId": nul}),
        ),
        (
            Method::POST,
            "/Users".to_owned(),
            json!({"schemas": [SCIM_USER], "userName": "s@example.com", "name": {"givenName": nul}}),
        ),
        (
            Method::PUT,
            format!("/Users/{member_id}"),
            json!({"schemas": [SCIM_USER], "userName": "member@example.com", "displayName": nul}),
        ),
        (
            Method::PATCH,
            format!("/Users/{member_id}"),
            json!({"schemas": [SCIM_PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": nul}]}),
        ),
        (
            Method::PATCH,
            format!("/Users/{member_id}"),
            json!({"schemas": [SCIM_PATCH], "Operations": [{"op": "replace", "value": {nul: "x"}}]}),
        ),
        (
            Method::POST,
            "/Groups".to_owned(),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": nul}),
        ),
    ] {
        let reply = scim(&app, method.clone(), &path, &key, Some(body.to_string())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.body["schemas"], json!([SCIM_ERROR]));
        assert_eq!(
            reply.body["scimType"], "invalidValue",
            "{method} {path}: {}",
            reply.body
        );
    }

    // MCP: every tool's arguments, a JSON-RPC -32602 naming the argument.
    for (tool, arguments, argument) in [
        (
            "listUsers",
            json!({"organization_id": org, "filter": {"query": nul}}),
            "filter.query",
        ),
        (
            "listUsers",
            json!({"organization_id": nul}),
            "organization_id",
        ),
        (
            "listUsers",
            json!({"organization_id": org, "cursor": nul}),
            "cursor",
        ),
        ("getUser", json!({"id": nul}), "id"),
        (
            "createUser",
            json!({"organization_id": org, "full_name": nul, "email_address": "m@example.com", "role": "EMPLOYEE"}),
            "full_name",
        ),
        (
            "createUser",
            json!({"organization_id": org, "full_name": "M", "email_address": "m@example.com", "role": "EMPLOYEE", "additional_email_addresses": [nul]}),
            "additional_email_addresses[0]",
        ),
        (
            "updateUser",
            json!({"id": member_id, "full_name": "M", "kind": null, "position": nul}),
            "position",
        ),
        (
            "removeUser",
            json!({"organization_id": org, "profile_id": nul}),
            "profile_id",
        ),
        (
            "deactivateUser",
            json!({"organization_id": org, "profile_id": nul}),
            "profile_id",
        ),
        (
            "inviteUser",
            json!({"organization_id": nul, "profile_id": member_id}),
            "organization_id",
        ),
        (
            "updateMembership",
            json!({"organization_id": org, "membership_id": nul, "role": "ADMIN"}),
            "membership_id",
        ),
    ] {
        let reply = mcp_call(&app, &key, tool, arguments.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{tool}: {}", reply.body);
        assert_eq!(
            reply.body["error"]["code"], -32602,
            "{tool} {arguments}: {}",
            reply.body
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(argument) && message.contains(NUL_REFUSED),
            "{tool}: {message}"
        );
    }

    assert_eq!(footprint(&app, &owner).await, before, "nothing was written");
    let member = app.get(&format!("/users/{member_id}/"), &owner).await.body;
    assert_eq!(member["name"], "member");
    assert_eq!(member["position"], Value::Null);
}

const EMAIL_INVISIBLE: &str =
    "Enter a valid email address: control and invisible characters are not allowed.";

#[actix_web::test]
async fn emails_with_invisible_characters_are_refused_by_every_interface() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (member_id, member) = app.member(&owner, "member@example.com", "EMPLOYEE").await;
    let key = admin_key(&app, &owner).await;
    let org = app.get("/account/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = footprint(&app, &owner).await;

    // The owner's address again, behind characters that print as nothing.
    let spoofs = [
        format!("{OWNER_EMAIL}\u{feff}"),
        "owner@exam\u{ad}ple.com".to_owned(),
        "owner@example\u{200b}.com".to_owned(),
        "own\u{200d}er@example.com".to_owned(),
        "owner@e\u{fe0f}xample.com".to_owned(),
        "owner@example.com\u{202e}".to_owned(),
    ];
    for spoof in &spoofs {
        for (method, path, body) in [
            (
                Method::POST,
                "/users/".to_owned(),
                json!({"email": spoof, "name": "Spoof"}),
            ),
            (
                Method::POST,
                "/api-users/".to_owned(),
                json!({"email": spoof, "name": "Spoof"}),
            ),
            (
                Method::PATCH,
                format!("/users/{member_id}/"),
                json!({"email": spoof}),
            ),
        ] {
            let reply = app
                .call(method.clone(), &path, Some(&owner), Some(body))
                .await;
            assert_eq!(
                (reply.status, &reply.body),
                (
                    StatusCode::BAD_REQUEST,
                    &json!({"email": [EMAIL_INVISIBLE]})
                ),
                "{method} {path} {spoof:?}"
            );
        }
        let reply = app
            .post(
                "/users/",
                &owner,
                json!({"email": "other@example.com", "name": "Other",
                       "additional_email_addresses": [spoof]}),
            )
            .await;
        assert_eq!(
            reply.body,
            json!({"additional_email_addresses": [EMAIL_INVISIBLE]}),
            "{spoof:?}"
        );
        let reply = app
            .patch("/profile/", &member, json!({"email": spoof}))
            .await;
        assert_eq!(reply.body, json!({"email": [EMAIL_INVISIBLE]}), "{spoof:?}");

        let body = json!({"schemas": [SCIM_USER], "userName": spoof});
        let reply = scim(&app, Method::POST, "/Users", &key, Some(body.to_string())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{spoof:?}: {}",
            reply.body
        );
        assert_eq!(reply.body["scimType"], "invalidValue", "{}", reply.body);
        let body = json!({"schemas": [SCIM_USER], "userName": "scim@example.com",
                          "emails": [{"value": spoof, "type": "other"}]});
        let reply = scim(&app, Method::POST, "/Users", &key, Some(body.to_string())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{spoof:?}: {}",
            reply.body
        );

        let reply = mcp_call(
            &app,
            &key,
            "createUser",
            json!({"organization_id": org, "full_name": "Spoof", "email_address": spoof, "kind": null,
                   "role": "EMPLOYEE"}),
        )
        .await;
        assert_eq!(reply.body["result"]["isError"], true, "{}", reply.body);
        let text = reply.body["result"]["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("email_address") && text.contains("invisible"),
            "{text}"
        );
    }
    assert_eq!(footprint(&app, &owner).await, before, "nothing was written");

    // The operator's command refuses it too.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["bootstrap", "--org", "Spoof", "--email", &spoofs[0]])
        .env("TESSERA_DATABASE_URL", &app.database_url)
        .output()
        .expect("run tessera bootstrap");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("invisible"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(footprint(&app, &owner).await, before, "nothing was written");
}

#[actix_web::test]
async fn emails_are_stored_composed_with_their_domain_idna_encoded() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let created = app
        .create(
            "/users/",
            &owner,
            json!({"email": "Ann@Bücher.Example", "name": "Ann", "password": "a-fine-pass-77"}),
        )
        .await;
    assert_eq!(created["email"], "Ann@xn--bcher-kva.example");
    // Logging in takes any spelling of it.
    for spelling in [
        "ann@bücher.example",
        "ann@bu\u{308}cher.example",
        "ann@xn--bcher-kva.example",
    ] {
        app.login(spelling, "a-fine-pass-77").await;
    }
    // The same address spelled otherwise (decomposed ü, upper case, punycode).
    for again in [
        "ann@bu\u{308}cher.example",
        "ANN@BÜCHER.EXAMPLE",
        "ann@xn--bcher-kva.example",
    ] {
        let reply = app
            .post("/users/", &owner, json!({"email": again, "name": "Again"}))
            .await;
        assert_eq!(
            reply.body,
            json!({"email": ["user with this email already exists."]}),
            "{again:?}"
        );
    }
    let found = app.get("/users/?search=xn--bcher", &owner).await;
    assert_eq!(found.body["count"], 1, "{}", found.body);
}

const PASSWORD_COMMON: &str = "This password is too common.";
const PASSWORD_LIKE_EMAIL: &str = "The password is too similar to the email address.";
const PASSWORD_LIKE_NAME: &str = "The password is too similar to the name.";
const PASSWORD_GUESSABLE: &str = "This password is too easy to guess.";

/// The one message under `password` of a 400.
fn password_error(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let messages = reply.body["password"].as_array().expect("a password error");
    assert_eq!(messages.len(), 1, "{}", reply.body);
    assert_eq!(reply.body.as_object().unwrap().len(), 1, "{}", reply.body);
    messages[0].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn weak_passwords_are_refused_wherever_a_password_is_set() {
    let sink = crate::smtp::SmtpSink::start(crate::smtp::Mode::Accept).await;
    let url = sink.url();
    let app = crate::helpers::spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.mail_retry_delay_ms = 50;
    })
    .await;
    let owner = app.owner_token().await;

    // An admin creating a person: judged against the body's email and name.
    for (body, expected) in [
        (
            json!({"email": "weak@example.com", "name": "Weak", "password": "1111111111"}),
            PASSWORD_GUESSABLE,
        ),
        (
            json!({"email": "weak@example.com", "name": "Weak", "password": "password12"}),
            PASSWORD_COMMON,
        ),
        (
            json!({"email": "weak.user@example.com", "name": "Weak", "password": "weak.user@example.com"}),
            PASSWORD_LIKE_EMAIL,
        ),
        (
            json!({"email": "jl@example.com", "name": "Jean-Luc Oyelaran", "password": "Jean-Luc Oyelaran"}),
            PASSWORD_LIKE_NAME,
        ),
    ] {
        let reply = app.post("/users/", &owner, body.clone()).await;
        let message = password_error(&reply);
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    let reply = app
        .post(
            "/users/",
            &owner,
            json!({"email": "weak@example.com", "name": "Weak", "password": "1111111111"}),
        )
        .await;
    assert!(
        password_error(&reply).contains("Repeats like"),
        "zxcvbn's feedback is shown"
    );
    // The same password is fine for someone whose name it is not.
    app.create(
        "/users/",
        &owner,
        json!({"email": "jd@example.com", "name": "Jane Doe", "password": "Jean-Luc Oyelaran"}),
    )
    .await;

    // An admin setting a stored user's password: judged against the user as
    // stored, and as the same body renames it.
    let (member_id, _) = app
        .member(&owner, "pat.member@example.com", "EMPLOYEE")
        .await;
    for (method, body, expected) in [
        (
            Method::PATCH,
            json!({"password": "pat.member@example.com"}),
            PASSWORD_LIKE_EMAIL,
        ),
        (
            Method::PATCH,
            json!({"password": "password12"}),
            PASSWORD_COMMON,
        ),
        (
            Method::PATCH,
            json!({"email": "quentin.renamed@example.com", "password": "quentin.renamed@example.com"}),
            PASSWORD_LIKE_EMAIL,
        ),
        (
            Method::PATCH,
            json!({"name": "Jean-Luc Oyelaran", "password": "Jean-Luc Oyelaran"}),
            PASSWORD_LIKE_NAME,
        ),
        (
            Method::PUT,
            json!({"email": "pat.member@example.com", "name": "Pat", "password": "pat.member@example.com"}),
            PASSWORD_LIKE_EMAIL,
        ),
    ] {
        let reply = app
            .call(
                method.clone(),
                &format!("/users/{member_id}/"),
                Some(&owner),
                Some(body.clone()),
            )
            .await;
        assert_eq!(password_error(&reply), expected, "{method} {body}");
    }
    let member = app.get(&format!("/users/{member_id}/"), &owner).await.body;
    assert_eq!(
        member["email"], "pat.member@example.com",
        "nothing was written"
    );
    app.login("pat.member@example.com", PASSWORD).await;

    // A user's own change: judged before the current password is checked.
    let member = app.login("pat.member@example.com", PASSWORD).await;
    for (current, password) in [
        (PASSWORD, "pat.member@example.com"),
        ("wrong-pass-1", "password12"),
    ] {
        let reply = app
            .post(
                "/profile/change_password/",
                &member,
                json!({"current_password": current, "password": password, "confpassword": password}),
            )
            .await;
        let message = password_error(&reply);
        assert!(
            message == PASSWORD_LIKE_EMAIL || message == PASSWORD_COMMON,
            "{message}"
        );
    }
    app.login("pat.member@example.com", PASSWORD).await;

    // An invitation: the link still works after a refused password.
    let invited = app
        .create(
            "/users/",
            &owner,
            json!({"email": "ivy.invited@example.com", "name": "Ivy"}),
        )
        .await;
    let invitation = app
        .create("/invitations/", &owner, json!({"user": invited["id"]}))
        .await;
    let mail = sink.wait_for(1).await.remove(0);
    let token = crate::helpers::link_token(&mail.link("/invitations/accept/"));
    assert!(invitation.get("link").is_none() || invitation["link"].is_null());
    for (password, expected) in [
        ("ivy.invited@example.com", PASSWORD_LIKE_EMAIL),
        ("password12", PASSWORD_COMMON),
    ] {
        let reply = app
            .call(
                Method::POST,
                "/invitations/accept/",
                None,
                Some(json!({"token": token, "password": password})),
            )
            .await;
        assert_eq!(password_error(&reply), expected);
    }
    let accepted = app
        .call(
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": token, "password": "a-fine-pass-77"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    app.login("ivy.invited@example.com", "a-fine-pass-77").await;

    // A password reset: the same.
    let reply = app
        .call(
            Method::POST,
            "/auth/password_reset/",
            None,
            Some(json!({"email": "ivy.invited@example.com"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let mail = sink.wait_for(2).await.remove(1);
    let token = crate::helpers::link_token(&mail.link("/auth/password_reset/confirm/"));
    let reply = app
        .call(
            Method::POST,
            "/auth/password_reset/confirm/",
            None,
            Some(json!({"token": token, "password": "1111111111"})),
        )
        .await;
    assert!(password_error(&reply).starts_with(PASSWORD_GUESSABLE));
    app.login("ivy.invited@example.com", "a-fine-pass-77").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/password_reset/confirm/",
            None,
            Some(json!({"token": token, "password": "another-fine-pass-78"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    app.login("ivy.invited@example.com", "another-fine-pass-78")
        .await;

    // The operator's command and the first run judge the first owner's password.
    for (password, reason) in [
        ("boss@example.com", "similar to the email"),
        ("password12", "too common"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "bootstrap",
                "--org",
                "Weak",
                "--email",
                "boss@example.com",
                "--password",
                password,
            ])
            .env("TESSERA_DATABASE_URL", &app.database_url)
            .output()
            .expect("run tessera bootstrap");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--password") && stderr.contains(reason),
            "{stderr}"
        );
    }
    let (database_url, _db) = crate::helpers::fresh_database();
    let mut settings = crate::helpers::settings(&database_url);
    settings.bootstrap_password = Some(OWNER_EMAIL.to_owned());
    let Err(refused) = tessera::startup::Application::build(settings).await else {
        panic!("a first owner whose password is its email");
    };
    assert!(
        refused.to_string().contains("TESSERA_BOOTSTRAP_PASSWORD"),
        "{refused}"
    );
}

/// Special-purpose addresses that private, loopback and link-local checks
/// alone let through.
const SPECIAL_TARGETS: [&str; 16] = [
    "http://[64:ff9b::a00:1]/hook", // NAT64 of 10.0.0.1
    "http://[2002:a00:1::1]/hook",  // 6to4 of 10.0.0.1
    "http://[::a00:1]/hook",        // IPv4-compatible
    "http://[ff02::1]/hook",        // multicast
    "http://[2001:db8::1]/hook",    // documentation
    "http://198.18.0.1/hook",       // benchmarking
    "http://224.0.0.1/hook",        // multicast
    "http://0.1.2.3/hook",          // "this network"
    "http://100.64.0.1/hook",       // shared (CGN)
    "http://192.0.0.1/hook",        // IETF protocol assignments
    "http://192.0.2.1/hook",        // TEST-NET-1
    "http://198.51.100.1/hook",     // TEST-NET-2
    "http://203.0.113.1/hook",      // TEST-NET-3
    "http://240.0.0.1/hook",        // reserved
    "http://[fc00::1]/hook",        // unique local
    "http://[2001:2::1]/hook",      // benchmarking
];

#[actix_web::test]
async fn webhooks_refuse_every_special_purpose_address() {
    // No delivery is ever attempted here: nothing leaves the machine.
    let app = crate::helpers::spawn_app_with(|s| {
        s.webhooks.webhook_poll_ms = 0;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let owner = app.owner_token().await;
    let hook = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/x", "events": ["*"], "secret": SECRET}),
        )
        .await;
    let hook_id = hook["id"].as_str().unwrap();
    let before = footprint(&app, &owner).await;
    for url in SPECIAL_TARGETS {
        for (method, path, body) in [
            (
                Method::POST,
                "/webhooks/".to_owned(),
                json!({"url": url, "events": ["*"], "secret": SECRET}),
            ),
            (
                Method::PATCH,
                format!("/webhooks/{hook_id}/"),
                json!({"url": url}),
            ),
        ] {
            let reply = app
                .call(method.clone(), &path, Some(&owner), Some(body))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{method} {url}: {}",
                reply.body
            );
            let message = reply.body["url"][0].as_str().unwrap_or_default();
            assert!(
                message.contains("private") && message.contains("special-purpose"),
                "{url}: {message}"
            );
        }
    }
    assert_eq!(footprint(&app, &owner).await, before, "nothing was written");
    assert_eq!(
        app.get(&format!("/webhooks/{hook_id}/"), &owner).await.body["url"],
        "https://hooks.example.com/x"
    );
    // Public addresses, IPv4 and IPv6, are fine.
    for url in [
        "http://93.184.216.34/hook",
        "http://[2606:2800:220:1::1]/hook",
        "http://192.0.0.9/hook",
    ] {
        app.create(
            "/webhooks/",
            &owner,
            json!({"url": url, "events": ["*"], "secret": SECRET}),
        )
        .await;
    }

    // TESSERA_WEBHOOKS_ALLOW_PRIVATE still allows them (a server that sends nothing).
    let allowing = crate::helpers::spawn_app_with(|s| {
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = 0;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let owner = allowing.owner_token().await;
    // Addresses whose connection the kernel refuses locally, should a
    // delivery ever be tried.
    let mut hooks = Vec::new();
    for url in SPECIAL_TARGETS {
        let created = allowing
            .create(
                "/webhooks/",
                &owner,
                json!({"url": url, "events": ["label.created"], "secret": SECRET}),
            )
            .await;
        if url.contains("224.0.0.1") || url.contains("0.1.2.3") {
            hooks.push(created["id"].as_str().unwrap().to_owned());
        } else {
            allowing
                .delete(
                    &format!("/webhooks/{}/", created["id"].as_str().unwrap()),
                    &owner,
                )
                .await;
        }
    }
    allowing
        .create("/labels/users/", &owner, json!({"name": "queued"}))
        .await;

    // A server on the same database that does not allow them checks again
    // at delivery, and sends nothing.
    let url = allowing.database_url.clone();
    // The same public URL: it is the issuer of the tokens it accepts.
    let issuer = allowing.address.clone();
    let delivering = crate::helpers::spawn_app_with(move |s| {
        s.database_url = url;
        s.mail.public_url = Some(issuer);
        s.webhooks.webhook_poll_ms = 50;
        s.webhooks.webhook_attempts = 1;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    for hook in hooks {
        let mut delivery = Value::Null;
        for _ in 0..100 {
            delivery = delivering
                .get(&format!("/webhooks/{hook}/deliveries/"), &owner)
                .await
                .body["results"][0]
                .clone();
            if delivery["status"] == "FAILED" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(delivery["status"], "FAILED", "{delivery}");
        assert!(
            delivery["last_error"]
                .as_str()
                .unwrap()
                .contains("special-purpose"),
            "{delivery}"
        );
        assert_eq!(delivery["last_status_code"], Value::Null);
    }
}
