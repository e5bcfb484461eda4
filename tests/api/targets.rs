//! `/targets/` and `/targets/{id}/`: the Target resource of API.md §2
//! ("Teams and targets"), its teams, its lists (§1 "Lists") and its link with
//! users' scope-tier roles.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, Reply, TestApp, spawn_app};

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const INVALID_URL: &str = "Enter a valid URL.";

fn target_path(id: &str) -> String {
    format!("/targets/{id}/")
}

fn does_not_exist(id: &str) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}

/// POSTs `body` to `/targets/` and returns the created target (panics unless 201).
async fn create_target(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/targets/", token, body).await
}

async fn create_named(app: &TestApp, token: &str, name: &str, url: &str) -> String {
    create_target(app, token, json!({"name": name, "url": url})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_team(app: &TestApp, token: &str, name: &str) -> String {
    let reply = app.post("/teams/", token, json!({"name": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "team: {}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// The team ids of a target, sorted.
fn teams_of(target: &Value) -> Vec<String> {
    let mut teams: Vec<String> = target["teams"]
        .as_array()
        .unwrap_or_else(|| panic!("teams is a list: {target}"))
        .iter()
        .map(|t| t.as_str().expect("team ids are strings").to_owned())
        .collect();
    teams.sort();
    teams
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app.get(&format!("/targets/?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "?{query}: {}", reply.body);
    reply.body
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

/// A 400 whose body is exactly `{field: messages}`.
fn assert_field_errors(reply: &Reply, field: &str, messages: &[String], what: &str) {
    assert_status(reply, StatusCode::BAD_REQUEST, what);
    assert_eq!(reply.body, json!({ field: messages }), "{what}");
}

// ---------------------------------------------------------------- create, get

#[actix_web::test]
async fn create_answers_201_with_location_and_the_target() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let blue = create_team(&app, &token, "Blue").await;
    let red = create_team(&app, &token, "Red").await;

    let reply = app
        .post(
            "/targets/",
            &token,
            json!({"name": " Web shop ", "url": " https://shop.example.com/cart?x=1 ",
                   "teams": [blue, {"id": red}, blue]}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "create");
    let target = reply.body;
    let id = target["id"].as_str().unwrap();
    assert_eq!(id.chars().count(), 12);
    assert!(id.chars().all(|c| BASE58.contains(c)), "{id}");
    assert_eq!(reply.headers["location"], format!("/targets/{id}/"));
    assert_eq!(target["name"], "Web shop");
    assert_eq!(target["url"], "https://shop.example.com/cart?x=1");
    assert_eq!(
        teams_of(&target),
        sorted(&[&blue, &red]),
        "duplicates collapse"
    );
    assert_eq!(target["changed_by"]["id"], owner_id.as_str());
    assert_eq!(target["changed_by"]["email"], OWNER_EMAIL);
    assert!(target["changed_by"]["name"].is_string());
    let changed = target["changed"].as_str().unwrap();
    chrono::NaiveDateTime::parse_from_str(changed, "%Y-%m-%dT%H:%M:%S%.6fZ")
        .unwrap_or_else(|e| panic!("{changed}: {e}"));
    let mut keys: Vec<&str> = target
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["changed", "changed_by", "id", "name", "teams", "url"]
    );

    let fetched = app.get(&target_path(id), &token).await;
    assert_status(&fetched, StatusCode::OK, "get");
    assert_eq!(fetched.body, target);
    assert_eq!(
        app.get(&format!("/targets/{id}"), &token).await.body,
        target
    );
}

#[actix_web::test]
async fn url_and_teams_are_optional_on_creation() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let target = create_target(&app, &token, json!({"name": "Internal"})).await;
    assert_eq!(target["url"], "");
    assert_eq!(target["teams"], json!([]));
    let target = create_target(&app, &token, json!({"name": "Empty", "teams": []})).await;
    assert_eq!(target["teams"], json!([]));
}

// ---------------------------------------------------------------- validation

#[actix_web::test]
async fn invalid_fields_are_400s_naming_them() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let long_url = format!("https://example.com/{}", "a".repeat(2049 - 20));
    assert_eq!(long_url.len(), 2049);
    let cases: Vec<(Value, &str, String)> = vec![
        (
            json!({"url": "https://example.com"}),
            "name",
            REQUIRED.into(),
        ),
        (
            json!({"name": ""}),
            "name",
            "This field may not be blank.".into(),
        ),
        (
            json!({"name": "n".repeat(256)}),
            "name",
            "Ensure this field has no more than 255 characters.".into(),
        ),
        (
            json!({"name": "x", "url": "example.com"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "ftp://example.com"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "javascript:alert(1)"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "http://"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "http:example.com"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "https://exa mple.com"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": "/relative"}),
            "url",
            INVALID_URL.into(),
        ),
        (
            json!({"name": "x", "url": ""}),
            "url",
            "This field may not be blank.".into(),
        ),
        (
            json!({"name": "x", "url": null}),
            "url",
            "This field may not be null.".into(),
        ),
        (
            json!({"name": "x", "url": long_url}),
            "url",
            "Ensure this field has no more than 2048 characters.".into(),
        ),
        (
            json!({"name": "x", "teams": "abc"}),
            "teams",
            "Expected a list of items but got type \"str\".".into(),
        ),
        (
            json!({"name": "x", "teams": [true]}),
            "teams",
            "Each team must be an id or an object with an id.".into(),
        ),
        (
            json!({"name": "x", "teams": [{"name": "Blue"}]}),
            "teams",
            "Each team must be an id or an object with an id.".into(),
        ),
    ];
    for (body, field, message) in cases {
        let reply = app.post("/targets/", &token, body.clone()).await;
        assert_field_errors(&reply, field, &[message], &body.to_string());
    }
    let fits = &long_url[..2048];
    assert_eq!(
        create_target(&app, &token, json!({"name": "x", "url": fits})).await["url"],
        fits
    );
    assert_eq!(
        list(&app, &token, "").await["count"],
        1,
        "nothing else was created"
    );
}

#[actix_web::test]
async fn unknown_foreign_and_malformed_team_ids_are_400s_on_teams() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    let ours = create_team(&app, &token, "Ours").await;
    let theirs = create_team(&app, &other, "Theirs").await;
    let unknown = "1111aaaa2222";

    let reply = app
        .post(
            "/targets/",
            &token,
            json!({"name": "x", "teams": [ours, theirs, {"id": unknown}, "nope"]}),
        )
        .await;
    assert_field_errors(
        &reply,
        "teams",
        &[
            does_not_exist(&theirs),
            does_not_exist(unknown),
            does_not_exist("nope"),
        ],
        "bad team ids",
    );
    assert_eq!(
        list(&app, &token, "").await["count"],
        0,
        "nothing was created"
    );

    // Same on PUT and PATCH, and the target keeps its teams.
    let id = create_target(&app, &token, json!({"name": "x", "teams": [ours]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app
        .put(
            &target_path(&id),
            &token,
            json!({"name": "y", "teams": [theirs]}),
        )
        .await;
    assert_field_errors(
        &reply,
        "teams",
        &[does_not_exist(&theirs)],
        "PUT foreign team",
    );
    let reply = app
        .patch(&target_path(&id), &token, json!({"teams": [unknown]}))
        .await;
    assert_field_errors(
        &reply,
        "teams",
        &[does_not_exist(unknown)],
        "PATCH unknown team",
    );
    let target = app.get(&target_path(&id), &token).await.body;
    assert_eq!(target["name"], "x");
    assert_eq!(teams_of(&target), [ours]);
}

// ---------------------------------------------------------------- update, delete

#[actix_web::test]
async fn put_requires_name_keeps_omitted_fields_and_replaces_teams() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let blue = create_team(&app, &token, "Blue").await;
    let red = create_team(&app, &token, "Red").await;
    let green = create_team(&app, &token, "Green").await;
    let target = create_target(
        &app,
        &token,
        json!({"name": "Shop", "url": "https://shop.example.com", "teams": [blue, red]}),
    )
    .await;
    let id = target["id"].as_str().unwrap();

    let reply = app
        .put(
            &target_path(id),
            &token,
            json!({"url": "https://x.example.com"}),
        )
        .await;
    assert_field_errors(&reply, "name", &[REQUIRED.into()], "PUT without name");

    let (_, admin) = app.member(&token, "admin@example.com", "ADMIN").await;
    let reply = app
        .put(&target_path(id), &admin, json!({"name": "Store"}))
        .await;
    assert_status(&reply, StatusCode::OK, "PUT name only");
    assert_eq!(reply.body["name"], "Store");
    assert_eq!(reply.body["url"], "https://shop.example.com");
    assert_eq!(
        teams_of(&reply.body),
        sorted(&[&blue, &red]),
        "omitted teams stay"
    );
    assert_eq!(reply.body["changed_by"]["email"], "admin@example.com");
    assert!(reply.body["changed"].as_str() > target["changed"].as_str());

    let reply = app
        .put(
            &target_path(id),
            &token,
            json!({"name": "Store", "url": "http://store.example.com", "teams": [{"id": green}, red]}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "PUT with teams");
    assert_eq!(reply.body["url"], "http://store.example.com");
    assert_eq!(
        teams_of(&reply.body),
        sorted(&[&green, &red]),
        "teams are replaced"
    );
    assert_eq!(app.get(&target_path(id), &token).await.body, reply.body);
}

#[actix_web::test]
async fn patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let blue = create_team(&app, &token, "Blue").await;
    let red = create_team(&app, &token, "Red").await;
    let target = create_target(
        &app,
        &token,
        json!({"name": "Shop", "url": "https://shop.example.com", "teams": [blue]}),
    )
    .await;
    let id = target["id"].as_str().unwrap();

    let reply = app
        .patch(
            &target_path(id),
            &token,
            json!({"url": "https://new.example.com"}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "PATCH url");
    assert_eq!(reply.body["name"], "Shop");
    assert_eq!(reply.body["url"], "https://new.example.com");
    assert_eq!(teams_of(&reply.body), [blue.as_str()]);

    let reply = app
        .patch(&target_path(id), &token, json!({"teams": [red]}))
        .await;
    assert_status(&reply, StatusCode::OK, "PATCH teams");
    assert_eq!(teams_of(&reply.body), [red.as_str()]);
    assert_eq!(reply.body["url"], "https://new.example.com");

    let reply = app
        .patch(&target_path(id), &token, json!({"teams": []}))
        .await;
    assert_status(&reply, StatusCode::OK, "PATCH no teams");
    assert_eq!(reply.body["teams"], json!([]));

    let reply = app
        .patch(&target_path(id), &token, json!({"url": "nope"}))
        .await;
    assert_field_errors(&reply, "url", &[INVALID_URL.into()], "PATCH bad url");
    assert_eq!(
        app.get(&target_path(id), &token).await.body["url"],
        "https://new.example.com"
    );
}

#[actix_web::test]
async fn delete_answers_204_then_404_and_leaves_the_teams() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let team = create_team(&app, &token, "Blue").await;
    let target = create_target(&app, &token, json!({"name": "Shop", "teams": [team]})).await;
    let id = target["id"].as_str().unwrap();

    let reply = app.delete(&target_path(id), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete");
    assert_eq!(reply.body, Value::Null);
    assert_not_found(&app.get(&target_path(id), &token).await, "get after delete");
    assert_not_found(&app.delete(&target_path(id), &token).await, "delete twice");
    assert_eq!(list(&app, &token, "").await["count"], 0);
    let reply = app.get(&format!("/teams/{team}/"), &token).await;
    assert_status(&reply, StatusCode::OK, "the team stays");
}

#[actix_web::test]
async fn deleting_a_team_takes_it_out_of_its_targets() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let blue = create_team(&app, &token, "Blue").await;
    let red = create_team(&app, &token, "Red").await;
    let target = create_target(&app, &token, json!({"name": "Shop", "teams": [blue, red]})).await;
    let id = target["id"].as_str().unwrap();

    let reply = app.delete(&format!("/teams/{blue}/"), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete team");
    let target = app.get(&target_path(id), &token).await.body;
    assert_eq!(teams_of(&target), [red]);
}

#[actix_web::test]
async fn unsupported_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_named(&app, &token, "Shop", "https://shop.example.com").await;
    let reply = app
        .call(Method::PUT, "/targets/", Some(&token), Some(json!({})))
        .await;
    assert_status(&reply, StatusCode::METHOD_NOT_ALLOWED, "PUT /targets/");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert_eq!(reply.body, json!({"detail": "Method \"PUT\" not allowed."}));
    let reply = app
        .call(
            Method::POST,
            &target_path(&id),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_status(
        &reply,
        StatusCode::METHOD_NOT_ALLOWED,
        "POST /targets/{id}/",
    );
    assert_eq!(reply.header("allow"), Some("GET, PUT, PATCH, DELETE"));
}

// ---------------------------------------------------------------- lists

#[actix_web::test]
async fn list_is_an_envelope_with_teams_ordered_by_name_by_default() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_eq!(
        list(&app, &token, "").await,
        json!({"count": 0, "page_total": 1, "page": 1, "length": 10, "results": []})
    );
    let blue = create_team(&app, &token, "Blue").await;
    let red = create_team(&app, &token, "Red").await;
    create_target(
        &app,
        &token,
        json!({"name": "Charlie", "teams": [blue, red]}),
    )
    .await;
    create_target(&app, &token, json!({"name": "Alpha", "teams": [red]})).await;
    create_target(&app, &token, json!({"name": "Bravo"})).await;

    let page = list(&app, &token, "").await;
    assert_eq!(page["count"], 3);
    assert_eq!(page["page_total"], 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["length"], 10);
    assert_eq!(names(&page), ["Alpha", "Bravo", "Charlie"]);
    let results = page["results"].as_array().unwrap();
    assert_eq!(teams_of(&results[0]), [red.as_str()]);
    assert_eq!(results[1]["teams"], json!([]));
    assert_eq!(teams_of(&results[2]), sorted(&[&blue, &red]));
    assert_eq!(
        app.get("/targets", &token).await.body,
        page,
        "no trailing slash"
    );
}

#[actix_web::test]
async fn search_is_a_case_insensitive_substring_of_name_or_url() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    create_named(&app, &token, "Web Shop", "https://shop.example.com").await;
    create_named(&app, &token, "Blog", "https://BLOG.example.org").await;
    create_named(&app, &token, "API", "https://api.example.com/v1_beta").await;
    create_target(&app, &token, json!({"name": "100% internal"})).await;

    assert_eq!(
        names(&list(&app, &token, "search=SHOP").await),
        ["Web Shop"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=blog.EXAMPLE").await),
        ["Blog"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=example.com").await),
        ["API", "Web Shop"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=%25").await),
        ["100% internal"]
    );
    assert_eq!(names(&list(&app, &token, "search=1_b").await), ["API"]);
    assert_eq!(list(&app, &token, "search=_x").await["count"], 0);
    assert_eq!(
        list(&app, &token, "search=%20").await["count"],
        4,
        "blank search"
    );
}

#[actix_web::test]
async fn ordering_by_name_changed_and_created_with_id_tie_break() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let bravo = create_named(&app, &token, "Bravo", "https://b.example.com").await;
    let alpha = create_named(&app, &token, "Alpha", "https://a.example.com").await;
    let charlie = create_named(&app, &token, "Charlie", "https://c.example.com").await;

    assert_eq!(
        names(&list(&app, &token, "ordering=-name").await),
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        ids(&list(&app, &token, "ordering=created").await),
        [bravo.as_str(), alpha.as_str(), charlie.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &token, "ordering=-created").await),
        [charlie.as_str(), alpha.as_str(), bravo.as_str()]
    );
    let reply = app
        .patch(
            &target_path(&alpha),
            &token,
            json!({"url": "https://a2.example.com"}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "patch");
    assert_eq!(
        ids(&list(&app, &token, "ordering=changed").await),
        [bravo.as_str(), charlie.as_str(), alpha.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &token, "ordering=-changed").await),
        [alpha.as_str(), charlie.as_str(), bravo.as_str()]
    );

    // Equal names fall back to the id, in the same direction, so pages are
    // stable: one row at a time gives the same sequence as one page. (Ids are
    // compared in the database's collation, so the expected order is not
    // recomputed here.)
    let mut same = Vec::new();
    for _ in 0..4 {
        same.push(create_named(&app, &token, "Same", "https://s.example.com").await);
    }
    let ascending = ids(&list(&app, &token, "search=same&ordering=name").await);
    let mut descending = ids(&list(&app, &token, "search=same&ordering=-name").await);
    descending.reverse();
    assert_eq!(ascending, descending, "-name is the exact reverse of name");
    let mut one_by_one = Vec::new();
    for page in 1..=4 {
        let query = format!("search=same&ordering=name&length=1&page={page}");
        one_by_one.extend(ids(&list(&app, &token, &query).await));
    }
    assert_eq!(one_by_one, ascending);
    same.sort();
    one_by_one.sort();
    assert_eq!(one_by_one, same);

    for bad in ["url", "-teams", "nope"] {
        let reply = app.get(&format!("/targets/?ordering={bad}"), &token).await;
        assert_status(&reply, StatusCode::BAD_REQUEST, bad);
        assert!(
            reply.body.get("ordering").is_some(),
            "{bad}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn pagination_and_invalid_pages() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let team = create_team(&app, &token, "Blue").await;
    for name in ["T1", "T2", "T3"] {
        create_target(&app, &token, json!({"name": name, "teams": [team]})).await;
    }
    let first = list(&app, &token, "length=2").await;
    assert_eq!(first["count"], 3);
    assert_eq!(first["page_total"], 2);
    assert_eq!(names(&first), ["T1", "T2"]);
    let second = list(&app, &token, "length=2&page=2").await;
    assert_eq!(names(&second), ["T3"]);
    assert_eq!(teams_of(&second["results"][0]), [team]);
    assert_eq!(list(&app, &token, "length=500").await["length"], 100);
    for page in ["3", "0", "x"] {
        let reply = app
            .get(&format!("/targets/?length=2&page={page}"), &token)
            .await;
        assert_status(&reply, StatusCode::NOT_FOUND, page);
        assert_eq!(reply.body, json!({"detail": "Invalid page."}));
    }
    let reply = app.get("/targets/?length=0", &token).await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "length=0");
    assert!(reply.body.get("length").is_some());
}

// ---------------------------------------------------------------- authorization

#[actix_web::test]
async fn every_method_needs_authentication() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let path = target_path(&create_named(&app, &token, "Shop", "https://s.example.com").await);
    for (method, path) in [
        (Method::GET, "/targets/"),
        (Method::POST, "/targets/"),
        (Method::GET, path.as_str()),
        (Method::PUT, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
    ] {
        let reply = app
            .call(method.clone(), path, None, Some(json!({"name": "x"})))
            .await;
        assert_status(
            &reply,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path}"),
        );
        assert_eq!(
            reply.body,
            json!({"detail": "Authentication credentials were not provided."})
        );
        assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
    }
}

#[actix_web::test]
async fn an_employee_reads_targets_but_cannot_write_them() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = create_team(&app, &owner, "Blue").await;
    let target = create_target(
        &app,
        &owner,
        json!({"name": "Shop", "url": "https://shop.example.com", "teams": [team]}),
    )
    .await;
    let id = target["id"].as_str().unwrap();
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;

    assert_eq!(
        list(&app, &employee, "").await["results"],
        json!([target.clone()])
    );
    assert_eq!(app.get(&target_path(id), &employee).await.body, target);

    let body = json!({"name": "Mine"});
    assert_forbidden(
        &app.post("/targets/", &employee, body.clone()).await,
        "POST",
    );
    assert_forbidden(
        &app.post("/targets/", &employee, json!({"name": "x", "url": "bad"}))
            .await,
        "invalid POST",
    );
    assert_forbidden(
        &app.put(&target_path(id), &employee, body.clone()).await,
        "PUT",
    );
    assert_forbidden(
        &app.patch(&target_path(id), &employee, json!({"teams": ["nope"]}))
            .await,
        "PATCH",
    );
    assert_forbidden(&app.delete(&target_path(id), &employee).await, "DELETE");
    assert_eq!(
        app.get(&target_path(id), &owner).await.body,
        target,
        "unchanged"
    );
}

#[actix_web::test]
async fn an_admin_manages_targets() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let team = create_team(&app, &admin, "Blue").await;
    let target = create_target(&app, &admin, json!({"name": "Shop", "teams": [team]})).await;
    assert_eq!(target["changed_by"]["email"], "admin@example.com");
    let id = target["id"].as_str().unwrap();
    let reply = app
        .patch(&target_path(id), &admin, json!({"teams": []}))
        .await;
    assert_status(&reply, StatusCode::OK, "admin PATCH");
    let reply = app.delete(&target_path(id), &admin).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "admin DELETE");
}

#[actix_web::test]
async fn malformed_and_foreign_ids_are_404_in_every_method() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    let foreign = create_target(
        &app,
        &other,
        json!({"name": "Theirs", "url": "https://theirs.example.com"}),
    )
    .await;
    let foreign_id = foreign["id"].as_str().unwrap();
    create_named(&app, &owner, "Ours", "https://ours.example.com").await;

    for id in [foreign_id, "nope", "0OIl0OIl0OIl", "123456789ABCD"] {
        let path = target_path(id);
        assert_not_found(&app.get(&path, &owner).await, &format!("GET {id}"));
        assert_not_found(
            &app.put(&path, &owner, json!({"name": "Mine"})).await,
            &format!("PUT {id}"),
        );
        assert_not_found(
            &app.patch(&path, &owner, json!({"name": "Mine"})).await,
            &format!("PATCH {id}"),
        );
        assert_not_found(&app.delete(&path, &owner).await, &format!("DELETE {id}"));
    }
    assert_eq!(names(&list(&app, &owner, "").await), ["Ours"]);
    assert_eq!(
        names(&list(&app, &owner, "search=theirs").await),
        Vec::<String>::new()
    );
    assert_eq!(
        app.get(&target_path(foreign_id), &other).await.body,
        foreign
    );
}

// ---------------------------------------------------------------- users

fn scope_roles(user: &Value) -> Vec<&Value> {
    user["user_roles"]
        .as_array()
        .expect("user_roles is a list")
        .iter()
        .filter(|r| r["scope"]["tier"] == "scope")
        .collect()
}

#[actix_web::test]
async fn a_scope_tier_role_shows_its_target_and_goes_with_the_target() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let shop = create_named(&app, &token, "Shop", "https://shop.example.com").await;
    let blog = create_named(&app, &token, "Blog", "https://blog.example.com").await;

    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "member@example.com", "name": "Member", "user_roles": [
                {"role": "VIEWER", "scope": {"tier": "account"}},
                {"role": "ADMIN", "scope": {"tier": "scope"}, "target": shop},
                // `target` is an alias of the `scope` tier.
                {"role": "EMPLOYEE", "scope": {"tier": "target"}, "target": {"id": blog}},
            ]}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "user with scope-tier roles");
    let user_id = reply.body["id"].as_str().unwrap().to_owned();
    let roles = scope_roles(&reply.body);
    assert_eq!(roles.len(), 2, "{}", reply.body);
    let on = |target: &str| {
        *roles
            .iter()
            .find(|r| r["target"]["id"] == target)
            .unwrap_or_else(|| panic!("a role on {target}: {}", reply.body))
    };
    assert_eq!(on(&shop)["role"]["name"], "ADMIN");
    assert_eq!(on(&shop)["target"], json!({"id": shop, "name": "Shop"}));
    assert_eq!(on(&shop)["team"], Value::Null);
    assert_eq!(on(&blog)["role"]["name"], "EMPLOYEE");
    assert_eq!(on(&blog)["target"], json!({"id": blog, "name": "Blog"}));

    // Deleting a target removes the roles on it, and only those.
    let reply = app.delete(&target_path(&shop), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete target");
    let user = app.get(&format!("/users/{user_id}/"), &token).await.body;
    let roles = scope_roles(&user);
    assert_eq!(roles.len(), 1, "{user}");
    assert_eq!(roles[0]["target"]["id"], blog.as_str());
    assert_eq!(user["user_roles"].as_array().unwrap().len(), 2, "{user}");
}

#[actix_web::test]
async fn a_role_on_another_organizations_target_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    let foreign = create_named(&app, &other, "Theirs", "https://theirs.example.com").await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "member@example.com", "name": "Member", "user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": "ADMIN", "scope": {"tier": "scope"}, "target": foreign},
            ]}),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "foreign target");
    assert_eq!(
        reply.body["user_roles"][1]["target"],
        json!([does_not_exist(&foreign)])
    );
}
