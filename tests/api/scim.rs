//! SCIM 2.0 under `/scim/v2`: discovery, the user lifecycle an IdP drives
//! (with Entra's and Okta's PATCH quirks), filters, errors in SCIM's format,
//! authorization and the audit trail.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A SCIM request with `Bearer <key>`, its body sent as application/scim+json.
async fn scim(app: &TestApp, method: Method, path: &str, key: &str, body: Option<Value>) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")))
        .header("Authorization", format!("Bearer {key}"));
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/scim+json")
            .body(body.to_string());
    }
    Reply::from(request.send().await.expect("request sent")).await
}

/// An API user holding `role` and its key's secret.
async fn provisioner(app: &TestApp, owner: &str, role: &str) -> String {
    let reply = app
        .post(
            "/api-users/",
            owner,
            json!({"name": format!("idp {role}"), "email": format!("idp-{}@example.com", role.to_lowercase()),
                   "user_roles": [{"role": role}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let reply = app
        .post(
            &format!("/api-users/{id}/keys/"),
            owner,
            json!({"name": "scim"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["key"].as_str().unwrap().to_owned()
}

fn assert_error(reply: &Reply, status: StatusCode, scim_type: Option<&str>, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    assert_eq!(reply.body["schemas"], json!([ERROR]), "{what}");
    assert_eq!(reply.body["status"], status.as_u16().to_string(), "{what}");
    match scim_type {
        Some(t) => assert_eq!(reply.body["scimType"], t, "{what}"),
        None => assert!(reply.body.get("scimType").is_none(), "{what}"),
    }
}

/// The userNames a filter lists.
async fn listed(app: &TestApp, key: &str, filter: &str) -> Vec<String> {
    let path = format!(
        "/Users?filter={}",
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    let reply = scim(app, Method::GET, &path, key, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.body);
    let resources = reply.body["Resources"].as_array().unwrap();
    assert_eq!(
        reply.body["totalResults"].as_u64().unwrap() as usize,
        resources.len(),
        "{filter}"
    );
    let mut names: Vec<String> = resources
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[actix_web::test]
async fn discovery_needs_scim_provision_and_answers_in_scim_json() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let key = provisioner(&app, &owner, "ADMIN").await;
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        let reply = scim(&app, Method::GET, path, &key, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/scim+json"));
        let unauthenticated = app
            .client
            .get(app.url(&format!("/scim/v2{path}")))
            .send()
            .await
            .unwrap();
        let unauthenticated = Reply::from(unauthenticated).await;
        assert_error(&unauthenticated, StatusCode::UNAUTHORIZED, None, path);
    }
    let config = scim(&app, Method::GET, "/ServiceProviderConfig", &key, None).await;
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["filter"]["supported"], true);
    let types = scim(&app, Method::GET, "/ResourceTypes", &key, None).await;
    assert_eq!(types.body["Resources"][0]["schema"], USER);
    let schemas = scim(&app, Method::GET, "/Schemas", &key, None).await;
    assert_eq!(schemas.body["Resources"][0]["id"], USER);

    // A VIEWER's key authenticates but may not provision.
    let viewer = provisioner(&app, &owner, "VIEWER").await;
    let reply = scim(&app, Method::GET, "/Users", &viewer, None).await;
    assert_error(&reply, StatusCode::FORBIDDEN, None, "viewer lists");
    let reply = scim(&app, Method::GET, "/Users", "not-a-key", None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, None, "bad key");
}

#[actix_web::test]
async fn an_idp_creates_finds_updates_patches_and_deletes_a_user() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let key = provisioner(&app, &owner, "ADMIN").await;

    let created = scim(
        &app,
        Method::POST,
        "/Users",
        &key,
        Some(json!({
            "schemas": [USER],
            "userName": "ann.lee@example.com",
            "externalId": "00u1AbC",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "title": "Security engineer",
            "active": true,
            "emails": [
                {"value": "ann.lee@example.com", "type": "work", "primary": true},
                {"value": "ann@home.example.org", "type": "home"}
            ]
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        created.header("content-type"),
        Some("application/scim+json")
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["userName"], "ann.lee@example.com");
    assert_eq!(created.body["displayName"], "Ann Lee");
    assert_eq!(created.body["title"], "Security engineer");
    assert_eq!(created.body["externalId"], "00u1AbC");
    assert_eq!(created.body["meta"]["resourceType"], "User");
    let location = created.body["meta"]["location"].as_str().unwrap();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(created.header("location"), Some(location));
    assert!(
        created.body["meta"]["version"]
            .as_str()
            .unwrap()
            .starts_with("W/\"")
    );

    // The REST view shows the same user, its source SCIM.
    let rest = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    assert_eq!(rest.body["email"], "ann.lee@example.com");
    assert_eq!(rest.body["name"], "Ann Lee");
    assert_eq!(rest.body["position"], "Security engineer");
    assert_eq!(
        rest.body["additional_email_addresses"],
        json!(["ann@home.example.org"])
    );
    assert_eq!(rest.body["source"], "SCIM");

    let got = scim(&app, Method::GET, &format!("/Users/{id}"), &key, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body, created.body);

    // A second user to tell filters apart.
    let other = scim(
        &app,
        Method::POST,
        "/Users",
        &key,
        Some(json!({"schemas": [USER], "userName": "bo@example.com", "displayName": "Bo", "active": false})),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);

    assert_eq!(
        listed(&app, &key, "userName eq \"ANN.LEE@example.com\"").await,
        ["ann.lee@example.com"]
    );
    assert_eq!(
        listed(&app, &key, "externalId eq \"00u1AbC\"").await,
        ["ann.lee@example.com"]
    );
    assert!(
        listed(&app, &key, "externalId eq \"00U1ABC\"")
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&app, &key, "emails.value co \"home.example\"").await,
        ["ann.lee@example.com"]
    );
    assert_eq!(
        listed(
            &app,
            &key,
            "userName ew \"@example.com\" and active eq false"
        )
        .await,
        ["bo@example.com"]
    );
    assert_eq!(
        listed(&app, &key, "displayName eq \"Bo\" or title pr").await,
        ["ann.lee@example.com", "bo@example.com"]
    );
    assert_eq!(
        listed(
            &app,
            &key,
            "meta.lastModified gt \"2000-01-01T00:00:00Z\" and not (userName sw \"idp\") and not (userName eq \"owner@example.com\")"
        )
        .await
        .len(),
        listed(&app, &key, "userName ew \"@example.com\" and (userName sw \"ann\" or userName sw \"bo\")")
            .await
            .len()
    );
    assert!(
        listed(&app, &key, "meta.lastModified gt \"2999-01-01T00:00:00Z\"")
            .await
            .is_empty()
    );

    // Paging: one per page, totalResults counts them all.
    let page = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20ew%20%22example.com%22&startIndex=2&count=1",
        &key,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 1);
    assert!(page.body["totalResults"].as_u64().unwrap() >= 2);

    // PUT replaces the representation.
    let put = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        &key,
        Some(json!({
            "schemas": [USER],
            "userName": "ann.lee@example.com",
            "externalId": "00u1XyZ",
            "displayName": "Ann B. Lee",
            "name": {"givenName": "Ann", "familyName": "B. Lee"},
            "active": true,
            "emails": [{"value": "ann.lee@example.com", "primary": true}]
        })),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["displayName"], "Ann B. Lee");
    assert_eq!(put.body["externalId"], "00u1XyZ");
    assert!(put.body.get("title").is_none(), "{}", put.body);
    assert_eq!(put.body["emails"].as_array().unwrap().len(), 1);

    // If-Match: a stale version is refused, the current one (or `*`) accepted.
    let stale = created.body["meta"]["version"].as_str().unwrap().to_owned();
    let current = put.body["meta"]["version"].as_str().unwrap().to_owned();
    assert_ne!(stale, current);
    assert_eq!(put.header("etag"), Some(current.as_str()));
    let refused = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/scim+json")
        .header("If-Match", stale.as_str())
        .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Stale"}]}).to_string())
        .send()
        .await
        .unwrap();
    let refused = Reply::from(refused).await;
    assert_error(
        &refused,
        StatusCode::PRECONDITION_FAILED,
        None,
        "stale If-Match",
    );
    let accepted = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .header("If-Match", current.as_str())
        .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Ann B. Lee"}]}).to_string())
        .send()
        .await
        .unwrap();
    let accepted = Reply::from(accepted).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

    // Entra: capitalised op, "False" as a string, with a path.
    let entra = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "title", "value": "Lead"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann.b.lee@example.com"}
        ]})),
    )
    .await;
    assert_eq!(entra.status, StatusCode::OK, "{}", entra.body);
    assert_eq!(entra.body["active"], false);
    assert_eq!(entra.body["title"], "Lead");
    // The work address is the primary one, so userName stays; the new one
    // becomes an additional address.
    assert_eq!(entra.body["emails"][1]["value"], "ann.b.lee@example.com");

    // Okta: replace without a path.
    let okta = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "value": {"active": true, "userName": "ann.b.lee@example.com", "name.givenName": "Anna"}}
        ]})),
    )
    .await;
    assert_eq!(okta.status, StatusCode::OK, "{}", okta.body);
    assert_eq!(okta.body["active"], true);
    assert_eq!(okta.body["userName"], "ann.b.lee@example.com");
    assert_eq!(okta.body["displayName"], "Anna B. Lee");
    assert_eq!(okta.body["externalId"], "00u1XyZ", "kept by a PATCH");

    // remove with a path.
    let removed = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "title"}]})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body.get("title").is_none(), "{}", removed.body);

    // Every write is in the audit trail as coming through SCIM.
    let events = app
        .get(&format!("/audit-events/?length=100&object_id={id}"), &owner)
        .await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    let events = events.body["results"].as_array().unwrap();
    assert!(events.len() >= 5, "{events:?}");
    assert!(
        events.iter().all(|e| e["interface"] == "scim"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e["action"] == "user.created"));
    assert!(events.iter().any(|e| e["action"] == "user.deactivated"));

    let deleted = scim(&app, Method::DELETE, &format!("/Users/{id}"), &key, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = scim(&app, Method::GET, &format!("/Users/{id}"), &key, None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, None, "after delete");
    let events = app
        .get(
            &format!("/audit-events/?action=user.deleted&object_id={id}"),
            &owner,
        )
        .await;
    assert_eq!(
        events.body["results"][0]["interface"], "scim",
        "{}",
        events.body
    );
}

#[actix_web::test]
async fn errors_are_in_scims_format() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let key = provisioner(&app, &owner, "ADMIN").await;
    let body = json!({"schemas": [USER], "userName": "dup@example.com"});
    let first = scim(&app, Method::POST, "/Users", &key, Some(body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let id = first.body["id"].as_str().unwrap().to_owned();

    // A wrong method is a 405 naming the allowed ones, in SCIM's format.
    for (method, path, allow) in [
        (Method::DELETE, "/Users".to_owned(), "GET, POST"),
        (
            Method::POST,
            format!("/Users/{id}"),
            "GET, PUT, PATCH, DELETE",
        ),
        (Method::PUT, "/Schemas".to_owned(), "GET"),
    ] {
        let reply = scim(&app, method.clone(), &path, &key, None).await;
        assert_error(
            &reply,
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            &format!("{method} {path}"),
        );
        assert_eq!(reply.headers["allow"], allow, "{method} {path}");
    }
    let unknown = scim(&app, Method::GET, "/Nothing", &key, None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, None, "unknown endpoint");
    let again = scim(&app, Method::POST, "/Users", &key, Some(body)).await;
    assert_error(
        &again,
        StatusCode::CONFLICT,
        Some("uniqueness"),
        "duplicate",
    );

    for filter in [
        "userName eq",
        "userName zz \"a\"",
        "(active eq true",
        "userName eq bare",
    ] {
        let path = format!(
            "/Users?filter={}",
            url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
        );
        let reply = scim(&app, Method::GET, &path, &key, None).await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            Some("invalidFilter"),
            filter,
        );
    }

    let reply = scim(
        &app,
        Method::POST,
        "/Users",
        &key,
        Some(json!({"schemas": [USER], "userName": "not an email"})),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "bad userName",
    );
    let reply = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": "maybe"}]})),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "bad active",
    );
    let reply = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "id", "value": "x"}]})),
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, Some("mutability"), "id");

    // The last owner cannot be deactivated through SCIM either.
    let owner_id = app.id_of(&owner, "owner@example.com").await;
    let reply = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{owner_id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert!(
        reply.status == StatusCode::BAD_REQUEST || reply.status == StatusCode::FORBIDDEN,
        "{}",
        reply.body
    );
    assert_eq!(reply.body["schemas"], json!([ERROR]));

    // Another organization's user is not found.
    let other_owner = app.second_organization("boss@other.example.com").await;
    let other_id = app.id_of(&other_owner, "boss@other.example.com").await;
    for method in [Method::GET, Method::DELETE] {
        let reply = scim(&app, method, &format!("/Users/{other_id}"), &key, None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, None, "other organization");
    }
    assert!(
        listed(&app, &key, "userName eq \"boss@other.example.com\"")
            .await
            .is_empty()
    );
}
