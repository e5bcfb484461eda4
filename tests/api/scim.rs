//! SCIM 2.0 under `/scim/v2`: discovery, the user lifecycle an IdP drives
//! (with Entra's and Okta's PATCH quirks), filters, errors in SCIM's format,
//! authorization and the audit trail.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

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

/// A fresh app, its OWNER's token and the key of an ADMIN API user (the IdP).
async fn idp_app() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let key = provisioner(&app, &owner, "ADMIN").await;
    (app, owner, key)
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
    let (app, owner, key) = idp_app().await;
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
    let (app, owner, key) = idp_app().await;

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
    let (app, owner, key) = idp_app().await;
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

// ---------------------------------------------------------------- groups

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A person created through SCIM; returns its id.
async fn scim_user(app: &TestApp, key: &str, email: &str, name: &str) -> String {
    let reply = scim(
        app,
        Method::POST,
        "/Users",
        key,
        Some(json!({"schemas": [USER], "userName": email, "displayName": name})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The team-tier roles a user holds (REST view), as (role name, team id).
async fn team_roles(app: &TestApp, owner: &str, user: &str) -> Vec<(String, String)> {
    let reply = app.get(&format!("/users/{user}/"), owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["scope"]["tier"] == "team")
        .map(|r| {
            (
                r["role"]["name"].as_str().unwrap().to_owned(),
                r["team"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn groups_are_teams_whose_members_hold_a_team_role() {
    let (app, owner, key) = idp_app().await;
    let ann = scim_user(&app, &key, "ann@example.com", "Ann").await;
    let bob = scim_user(&app, &key, "bob@example.com", "Bob").await;

    // Create, with a member: a team with Ann holding EMPLOYEE at its tier.
    let created = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(
            json!({"schemas": [GROUP], "displayName": "Platform", "externalId": "okta-g1",
                    "members": [{"value": ann}]}),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["schemas"], json!([GROUP]));
    assert_eq!(created.body["displayName"], "Platform");
    assert_eq!(created.body["externalId"], "okta-g1");
    assert_eq!(created.body["meta"]["resourceType"], "Group");
    assert!(
        created
            .header("location")
            .unwrap()
            .ends_with(&format!("/scim/v2/Groups/{id}"))
    );
    assert_eq!(member_ids(&created.body), [ann.as_str()]);
    assert!(
        created.body["members"][0]["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/Users/{ann}"))
    );
    let team = app.get(&format!("/teams/{id}/"), &owner).await;
    assert_eq!(team.status, StatusCode::OK, "{}", team.body);
    assert_eq!(team.body["name"], "Platform");
    assert_eq!(
        team_roles(&app, &owner, &ann).await,
        [("EMPLOYEE".to_owned(), id.clone())]
    );
    // The user's view lists its groups (read-only).
    let user = scim(&app, Method::GET, &format!("/Users/{ann}"), &key, None).await;
    assert_eq!(
        user.body["groups"],
        json!([{"value": id, "display": "Platform", "type": "direct",
                "$ref": created.body["meta"]["location"]}])
    );

    // Entra: capitalised op, members added by path.
    let added = scim(
        &app,
        Method::PATCH,
        &format!("/Groups/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Add", "path": "members", "value": [{"value": bob}]}
        ]})),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        member_ids(&added.body),
        sorted(vec![ann.clone(), bob.clone()])
    );

    // A member removed by a value filter loses every role at the team.
    let removed = scim(
        &app,
        Method::PATCH,
        &format!("/Groups/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "remove", "path": format!("members[value eq \"{ann}\"]")}
        ]})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(member_ids(&removed.body), [bob.as_str()]);
    assert!(team_roles(&app, &owner, &ann).await.is_empty());

    // Okta: path-less replace repeating the id, renaming the group.
    let renamed = scim(
        &app,
        Method::PATCH,
        &format!("/Groups/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "value": {"id": id, "displayName": "Platform Engineering"}}
        ]})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["displayName"], "Platform Engineering");
    assert_eq!(member_ids(&renamed.body), [bob.as_str()], "members kept");

    // PUT replaces the membership: Bob out, Ann in.
    let put = scim(
        &app,
        Method::PUT,
        &format!("/Groups/{id}"),
        &key,
        Some(
            json!({"schemas": [GROUP], "displayName": "Platform Engineering",
                    "externalId": "okta-g1", "members": [{"value": ann}]}),
        ),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(member_ids(&put.body), [ann.as_str()]);
    assert!(team_roles(&app, &owner, &bob).await.is_empty());
    assert_eq!(put.header("etag"), put.body["meta"]["version"].as_str());

    // Filters over groups.
    for (filter, expected) in [
        ("displayName eq \"Platform Engineering\"", 1),
        ("displayName sw \"plat\"", 1),
        ("externalId eq \"okta-g1\"", 1),
        ("externalId eq \"other\"", 0),
    ] {
        let path = format!(
            "/Groups?filter={}",
            url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
        );
        let reply = scim(&app, Method::GET, &path, &key, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], expected, "{filter}");
    }

    // Membership changes are audited on the user, from SCIM.
    let events = app
        .get(
            &format!("/audit-events/?object_id={bob}&action=user.updated"),
            &owner,
        )
        .await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    let events = events.body["results"].as_array().unwrap();
    assert_eq!(events.len(), 2, "added then removed: {events:?}");
    assert!(events.iter().all(|e| e["interface"] == "scim"));

    // DELETE deletes the team; its members lose their role there.
    let deleted = scim(&app, Method::DELETE, &format!("/Groups/{id}"), &key, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = scim(&app, Method::GET, &format!("/Groups/{id}"), &key, None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, None, "deleted group");
    assert_eq!(
        app.get(&format!("/teams/{id}/"), &owner).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(team_roles(&app, &owner, &ann).await.is_empty());
}

#[actix_web::test]
async fn group_members_must_be_people_of_the_organization() {
    let (app, owner, key) = idp_app().await;
    let group =
        |members: Value| json!({"schemas": [GROUP], "displayName": "Ops", "members": members});
    // Someone of another organization is no member here, and nothing is created.
    let other = app.second_organization("owner@other.example").await;
    let stranger = app.id_of(&other, "owner@other.example").await;
    let reply = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(group(json!([{"value": stranger}]))),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "stranger",
    );
    let listed = scim(&app, Method::GET, "/Groups", &key, None).await;
    assert_eq!(
        listed.body["totalResults"], 0,
        "rolled back: {}",
        listed.body
    );

    for (members, what) in [
        (json!([{"value": "nobody"}]), "unknown id"),
        (json!([{"display": "no value"}]), "no value"),
        (json!([{"value": "x", "type": "Group"}]), "nested group"),
        (json!({"value": "x"}), "not a list"),
    ] {
        let reply = scim(&app, Method::POST, "/Groups", &key, Some(group(members))).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"), what);
    }
    let reply = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(json!({"schemas": [GROUP]})),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "no displayName",
    );

    // Another organization's group is not found, whatever the method.
    let theirs = app.post("/teams/", &other, json!({"name": "Theirs"})).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let path = format!("/Groups/{}", theirs.body["id"].as_str().unwrap());
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let body = match method {
            Method::PUT => Some(group(json!([]))),
            Method::PATCH => Some(json!({"schemas": [PATCH], "Operations": [
                {"op": "replace", "path": "displayName", "value": "Mine"}]})),
            _ => None,
        };
        let reply = scim(&app, method.clone(), &path, &key, body).await;
        assert_error(&reply, StatusCode::NOT_FOUND, None, method.as_str());
    }

    // A key without scim.provision may not touch groups.
    let viewer = provisioner(&app, &owner, "VIEWER").await;
    let reply = scim(&app, Method::GET, "/Groups", &viewer, None).await;
    assert_error(&reply, StatusCode::FORBIDDEN, None, "viewer lists groups");
}

#[actix_web::test]
async fn the_role_a_membership_grants_is_configurable() {
    let app = spawn_app_with(|s| s.scim_group_role = "VIEWER".into()).await;
    let owner = app.owner_token().await;
    let key = provisioner(&app, &owner, "ADMIN").await;
    let ann = scim_user(&app, &key, "ann@example.com", "Ann").await;
    let created = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(json!({"schemas": [GROUP], "displayName": "Readers", "members": [{"value": ann}]})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        team_roles(&app, &owner, &ann).await,
        [("VIEWER".to_owned(), id)]
    );
}

// ------------------------------------------------- reads: attributes, search

#[actix_web::test]
async fn reads_honour_attributes_and_search_bodies() {
    let (app, _, key) = idp_app().await;
    let ann = scim_user(&app, &key, "ann@example.com", "Ann").await;
    scim_user(&app, &key, "bob@example.com", "Bob").await;
    let group = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(json!({"schemas": [GROUP], "displayName": "Ops"})),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);

    let only = scim(
        &app,
        Method::GET,
        &format!("/Users/{ann}?attributes=userName"),
        &key,
        None,
    )
    .await;
    assert_eq!(
        only.body,
        json!({"schemas": [USER], "id": ann, "userName": "ann@example.com"})
    );
    let without = scim(
        &app,
        Method::GET,
        &format!("/Users/{ann}?excludedAttributes=meta,displayName"),
        &key,
        None,
    )
    .await;
    assert!(without.body.get("meta").is_none() && without.body.get("displayName").is_none());
    assert_eq!(without.body["userName"], "ann@example.com");

    // POST /Users/.search: the list parameters in the body.
    let found = scim(
        &app,
        Method::POST,
        "/Users/.search",
        &key,
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "userName sw \"ann\"", "attributes": ["userName"], "count": 10}),
        ),
    )
    .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["userName"], "ann@example.com");
    assert!(found.body["Resources"][0].get("displayName").is_none());

    // POST /.search: users and groups at once.
    let all = scim(
        &app,
        Method::POST,
        "/.search",
        &key,
        Some(json!({"filter": "displayName pr", "attributes": ["displayName"]})),
    )
    .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let names: Vec<&str> = all.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["displayName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Ann") && names.contains(&"Ops"),
        "{names:?}"
    );
    let bad = scim(
        &app,
        Method::POST,
        "/.search",
        &key,
        Some(json!({"count": "many"})),
    )
    .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "bad count",
    );

    // Discovery by id.
    for path in [
        "/ResourceTypes/Group".to_owned(),
        format!("/Schemas/{GROUP}"),
        format!("/Schemas/{USER}"),
    ] {
        let reply = scim(&app, Method::GET, &path, &key, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
    let missing = scim(&app, Method::GET, "/Schemas/urn:nope", &key, None).await;
    assert_error(&missing, StatusCode::NOT_FOUND, None, "unknown schema");
}

/// The ids of one page of `path` (a list with its query), and its total.
async fn page_ids(app: &TestApp, key: &str, path: &str) -> (Vec<String>, u64) {
    let reply = scim(app, Method::GET, path, key, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    let ids = reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, reply.body["totalResults"].as_u64().unwrap())
}

#[actix_web::test]
async fn lists_page_alike_whether_sql_or_memory_applies_the_filter() {
    let (app, owner, key) = idp_app().await;
    for i in 0..7 {
        let email = format!("p{i}@paging.test");
        let reply = scim(
            &app,
            Method::POST,
            "/Users",
            &key,
            Some(
                json!({"schemas": [USER], "userName": email, "displayName": format!("P{i}"),
                        "emails": [{"value": email, "type": "work", "primary": true}]}),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    scim_user(&app, &key, "other@example.com", "Other").await;
    // `co` is SQL's own; `ew` is narrowed by SQL and decided in memory.
    let mut walked = Vec::new();
    for filter in [
        "userName%20co%20%22@paging.test%22",
        "userName%20ew%20%22@PAGING.test%22",
    ] {
        let mut ids = Vec::new();
        for start in [1, 3, 5, 7, 9] {
            let (page, total) = page_ids(
                &app,
                &key,
                &format!("/Users?filter={filter}&startIndex={start}&count=2"),
            )
            .await;
            assert_eq!(total, 7, "{filter}");
            assert_eq!(
                page.len(),
                7usize.saturating_sub(start - 1).min(2),
                "{filter} {start}"
            );
            ids.extend(page);
        }
        walked.push(ids);
    }
    assert_eq!(walked[0].len(), 7);
    assert_eq!(walked[0], walked[1]);
    // Addresses: SQL finds candidates, memory checks the rest.
    for filter in [
        "emails.value%20eq%20%22P3@PAGING.test%22",
        "emails%5Btype%20eq%20%22work%22%20and%20value%20eq%20%22p3@paging.test%22%5D",
    ] {
        let (found, total) = page_ids(&app, &key, &format!("/Users?filter={filter}")).await;
        assert_eq!((found.len(), total), (1, 1), "{filter}");
        assert_eq!(found[0], walked[0][3], "{filter}");
    }
    let (none, _) = page_ids(
        &app,
        &key,
        "/Users?filter=emails%5Btype%20eq%20%22home%22%20and%20value%20eq%20%22p3@paging.test%22%5D",
    )
    .await;
    assert!(none.is_empty());
    // Without a filter: every person (the owner included, not the API user).
    let (all, total) = page_ids(&app, &key, "/Users?count=100").await;
    assert_eq!((all.len(), total), (9, 9));
    let (none, total) = page_ids(&app, &key, "/Users?count=0").await;
    assert_eq!((none.len(), total), (0, 9));

    // Groups: displayName eq is SQL's, case-insensitively; members are read
    // only when they come back.
    let ops = scim(
        &app,
        Method::POST,
        "/Groups",
        &key,
        Some(json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": all[1]}]})),
    )
    .await;
    assert_eq!(ops.status, StatusCode::CREATED, "{}", ops.body);
    let reply = app.post("/teams/", &owner, json!({"name": "Sales"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let found = scim(
        &app,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22OPS%22",
        &key,
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);
    assert_eq!(
        member_ids(&found.body["Resources"][0]),
        vec![all[1].clone()]
    );
    let lean = scim(
        &app,
        Method::GET,
        "/Groups?excludedAttributes=members",
        &key,
        None,
    )
    .await;
    assert_eq!(lean.body["totalResults"], 2, "{}", lean.body);
    assert!(
        lean.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g.get("members").is_none())
    );
    let by_member = scim(
        &app,
        Method::GET,
        &format!(
            "/Groups?filter=members.value%20eq%20%22{}%22&attributes=displayName",
            all[1]
        ),
        &key,
        None,
    )
    .await;
    assert_eq!(by_member.body["totalResults"], 1, "{}", by_member.body);
    assert_eq!(by_member.body["Resources"][0]["displayName"], "Ops");

    // POST /.search: one window over the users, then the groups.
    let search = |start: usize| json!({"filter": "displayName pr", "attributes": ["displayName"], "startIndex": start, "count": 2});
    let across = scim(&app, Method::POST, "/.search", &key, Some(search(9))).await;
    assert_eq!(across.status, StatusCode::OK, "{}", across.body);
    assert_eq!(across.body["totalResults"], 11);
    let names: Vec<&str> = across.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(
        names[1], "Ops",
        "groups follow the users, by name: {names:?}"
    );
    let groups_only = scim(&app, Method::POST, "/.search", &key, Some(search(11))).await;
    assert_eq!(groups_only.body["Resources"][0]["displayName"], "Sales");
    assert_eq!(groups_only.body["itemsPerPage"], 1);
}

#[actix_web::test]
async fn name_parts_and_email_types_come_back_as_the_idp_wrote_them() {
    let (app, owner, key) = idp_app().await;
    let created = scim(
        &app,
        Method::POST,
        "/Users",
        &key,
        Some(json!({
            "schemas": [USER],
            "userName": "maria@example.com",
            "name": {"givenName": "María José", "familyName": "García Pérez"},
            "emails": [
                {"value": "maria@example.com", "type": "work", "primary": true},
                {"value": "mj@home.example", "type": "home"}
            ]
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["name"],
        json!({"givenName": "María José", "familyName": "García Pérez"})
    );
    assert_eq!(created.body["displayName"], "María José García Pérez");
    assert_eq!(
        created.body["emails"],
        json!([
            {"value": "maria@example.com", "type": "work", "primary": true},
            {"value": "mj@home.example", "type": "home", "primary": false}
        ])
    );
    // userType is Probo's kind; the enterprise extension is kept as sent.
    let patched = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "add", "path": "userType", "value": "Contractor"},
            {"op": "add", "path": "title", "value": "Manager"},
            {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Sales"},
            {"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "m-1"}}
        ]})),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["userType"], "Contractor");
    assert_eq!(patched.body["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(
        patched.body[ENTERPRISE],
        json!({"department": "Sales", "manager": {"value": "m-1"}})
    );
    let bad = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "userType", "value": "Astronaut"}]})),
    )
    .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "userType",
    );

    // REST sees Tessera's fields.
    let rest = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(rest.body["kind"], "contractor");
    // A free-text title naming a value of Probely's enum sets it too.
    assert_eq!(rest.body["position"], "Manager");
    assert_eq!(rest.body["title"], "manager");
    assert_eq!(rest.body["name"], "María José García Pérez");
    assert_eq!(rest.body["email"], "maria@example.com");
    assert_eq!(
        rest.body["additional_email_addresses"],
        json!(["mj@home.example"])
    );
    assert_eq!(rest.body["source"], "SCIM");

    // A name changed elsewhere makes the IdP's parts stale: they follow it.
    let renamed = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"name": "Maria Garcia"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let user = scim(&app, Method::GET, &format!("/Users/{id}"), &key, None).await;
    assert_eq!(
        user.body["name"],
        json!({"formatted": "Maria Garcia", "givenName": "Maria", "familyName": "Garcia"})
    );
    assert_eq!(user.body["displayName"], "Maria Garcia");
    // An address added elsewhere is listed after the IdP's ones.
    let added = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"additional_email_addresses": ["mj@home.example", "mj@other.example"]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let user = scim(&app, Method::GET, &format!("/Users/{id}"), &key, None).await;
    assert_eq!(
        user.body["emails"],
        json!([
            {"value": "maria@example.com", "type": "work", "primary": true},
            {"value": "mj@home.example", "type": "home", "primary": false},
            {"value": "mj@other.example", "type": "other", "primary": false}
        ])
    );
}

/// `userName` is the IdP's own (Okta and AD-synced directories send `jdoe`):
/// kept and shown as sent, unique in the organization whatever its case;
/// the login e-mail comes from `emails`.
#[actix_web::test]
async fn user_name_is_the_idps_and_the_email_comes_from_emails() {
    let (app, owner, key) = idp_app().await;
    let create = |body: Value| {
        let (app, key) = (&app, &key);
        async move { scim(app, Method::POST, "/Users", key, Some(body)).await }
    };
    let reply = create(json!({
        "schemas": [USER], "userName": "jdoe", "displayName": "Jane Doe",
        "emails": [{"value": "jane@home.example", "type": "home"},
                   {"value": "jdoe@corp.example", "type": "work"}],
    }))
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["userName"], "jdoe");
    let id = reply.body["id"].as_str().unwrap().to_owned();
    // No primary: the work address is the one to sign in with.
    let rest = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(rest.body["email"], "jdoe@corp.example", "{}", rest.body);
    assert_eq!(
        rest.body["additional_email_addresses"],
        json!(["jane@home.example"])
    );
    let reply = scim(&app, Method::GET, &format!("/Users/{id}"), &key, None).await;
    assert_eq!(reply.body["userName"], "jdoe");

    // The lookups IdPs make before each write, case-insensitively.
    assert_eq!(listed(&app, &key, r#"userName eq "JDOE""#).await, ["jdoe"]);
    assert_eq!(listed(&app, &key, r#"userName sw "jd""#).await, ["jdoe"]);
    assert!(
        listed(&app, &key, r#"userName eq "jdoe@corp.example""#)
            .await
            .is_empty(),
        "the e-mail is not this user's userName"
    );
    // A user no IdP wrote has its e-mail as userName.
    assert_eq!(
        listed(&app, &key, r#"userName eq "OWNER@example.com""#).await,
        ["owner@example.com"]
    );

    // Unique in the organization, whatever the case.
    let reply = create(json!({
        "schemas": [USER], "userName": "JDoe",
        "emails": [{"value": "other@corp.example"}],
    }))
    .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        Some("uniqueness"),
        "same userName",
    );

    // The primary wins over the work address.
    let reply = create(json!({
        "schemas": [USER], "userName": "ann",
        "emails": [{"value": "ann@corp.example", "type": "work"},
                   {"value": "ann@home.example", "type": "home", "primary": true}],
    }))
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let ann = reply.body["id"].as_str().unwrap().to_owned();
    let rest = app.get(&format!("/users/{ann}/"), &owner).await;
    assert_eq!(rest.body["email"], "ann@home.example");

    // Without emails, only a userName that is an address will do.
    let reply = create(json!({"schemas": [USER], "userName": "kim"})).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
        "no emails",
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("emails:"),
        "{}",
        reply.body
    );
    let reply = create(json!({"schemas": [USER], "userName": "lee@corp.example"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["userName"], "lee@corp.example");

    // A new userName through PATCH; the old one no longer finds the user.
    let reply = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &key,
        Some(json!({"schemas": [PATCH],
                    "Operations": [{"op": "replace", "path": "userName", "value": "jane.doe"}]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["userName"], "jane.doe");
    assert!(listed(&app, &key, r#"userName eq "jdoe""#).await.is_empty());
    let rest = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(rest.body["email"], "jdoe@corp.example", "the e-mail stays");

    // Another organization may have its own jdoe.
    let other = app.second_organization("boss@other.example.com").await;
    let other_key = provisioner(&app, &other, "ADMIN").await;
    let reply = scim(
        &app,
        Method::POST,
        "/Users",
        &other_key,
        Some(json!({"schemas": [USER], "userName": "jdoe",
                    "emails": [{"value": "jdoe@other.example.com"}]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(listed(&app, &key, r#"userName eq "jdoe""#).await.len(), 0);
}
