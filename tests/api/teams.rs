//! `/teams/` and `/teams/{id}/`: the Team resource of API.md §2 ("Teams and
//! targets"), its lists (§1 "Lists") and its link with users' team-tier roles.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, Reply, TestApp, spawn_app};

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const FORBIDDEN: &str = "You do not have permission to perform this action.";
const REQUIRED: &str = "This field is required.";
const BLANK: &str = "This field may not be blank.";

fn team_path(id: &str) -> String {
    format!("/teams/{id}/")
}

/// POSTs `body` to `/teams/` and returns the created team (panics unless 201).
async fn create_team(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/teams/", token, body).await
}

async fn create_named(app: &TestApp, token: &str, name: &str) -> String {
    create_team(app, token, json!({"name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
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
    let reply = app.get(&format!("/teams/?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "?{query}: {}", reply.body);
    reply.body
}

fn assert_public_id(v: &Value) {
    let id = v.as_str().unwrap_or_else(|| panic!("id is a string: {v}"));
    assert_eq!(id.chars().count(), 12, "id {id} has 12 characters");
    assert!(id.chars().all(|c| BASE58.contains(c)), "id {id} is Base58");
}

/// `YYYY-MM-DDThh:mm:ss.uuuuuuZ`.
fn assert_timestamp(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is a string: {v}"));
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6fZ")
        .unwrap_or_else(|e| panic!("{s} is not ISO 8601 with microseconds and Z: {e}"));
    assert_eq!(s.len(), 27, "{s}");
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

/// A 400 whose body is exactly `{field: [message]}`.
fn assert_field_error(reply: &Reply, field: &str, message: &str, what: &str) {
    assert_status(reply, StatusCode::BAD_REQUEST, what);
    assert_eq!(reply.body, json!({ field: [message] }), "{what}");
}

// ---------------------------------------------------------------- create, get

#[actix_web::test]
async fn create_answers_201_with_location_and_the_team() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    let owner = app.get(&format!("/users/{owner_id}/"), &token).await.body;

    let reply = app
        .post(
            "/teams/",
            &token,
            json!({"name": "  Blue team ", "description": " Guards the shop\nday and night ",
                   "id": "ignoredXXXXX", "changed": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "create");
    let team = reply.body;
    assert_public_id(&team["id"]);
    assert_ne!(team["id"], "ignoredXXXXX", "read-only fields are ignored");
    let id = team["id"].as_str().unwrap();
    assert_eq!(reply.headers["location"], format!("/teams/{id}/"));
    assert_eq!(team["name"], "Blue team");
    assert_eq!(team["description"], "Guards the shop\nday and night");
    assert_eq!(
        team["changed_by"],
        json!({"id": owner_id, "email": OWNER_EMAIL, "name": owner["name"]})
    );
    assert_timestamp(&team["changed"]);
    assert_ne!(team["changed"], "2000-01-01T00:00:00.000000Z");
    let mut keys: Vec<&str> = team
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["changed", "changed_by", "description", "id", "name"]);

    let fetched = app.get(&team_path(id), &token).await;
    assert_status(&fetched, StatusCode::OK, "get");
    assert_eq!(fetched.body, team);

    // Served identically without the trailing slash.
    let bare = app.get(&format!("/teams/{id}"), &token).await;
    assert_eq!(bare.body, team);
}

#[actix_web::test]
async fn description_defaults_to_empty_and_names_need_not_be_unique() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let first = create_team(&app, &token, json!({"name": "Ops"})).await;
    assert_eq!(first["description"], "");
    let second = create_team(&app, &token, json!({"name": "Ops"})).await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(list(&app, &token, "").await["count"], 2);
}

#[actix_web::test]
async fn a_form_body_is_accepted() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = Reply::from(
        app.client
            .post(app.url("/teams"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("name=Red+team&description=From+a+form")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_status(&reply, StatusCode::CREATED, "form");
    assert_eq!(reply.body["name"], "Red team");
    assert_eq!(reply.body["description"], "From a form");
}

// ---------------------------------------------------------------- validation

#[actix_web::test]
async fn invalid_fields_are_400s_naming_them() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let cases = [
        (json!({}), "name", REQUIRED.to_owned()),
        (
            json!({"description": "no name"}),
            "name",
            REQUIRED.to_owned(),
        ),
        (json!({"name": ""}), "name", BLANK.to_owned()),
        (json!({"name": "   "}), "name", BLANK.to_owned()),
        (
            json!({"name": null}),
            "name",
            "This field may not be null.".to_owned(),
        ),
        (
            json!({"name": ["a"]}),
            "name",
            "Not a valid string.".to_owned(),
        ),
        (
            json!({"name": "a".repeat(256)}),
            "name",
            "Ensure this field has no more than 255 characters.".to_owned(),
        ),
        (
            json!({"name": "tab\tbed"}),
            "name",
            "Control characters are not allowed.".to_owned(),
        ),
        (
            json!({"name": "Ok", "description": "d".repeat(1001)}),
            "description",
            "Ensure this field has no more than 1000 characters.".to_owned(),
        ),
        (
            json!({"name": "Ok", "description": null}),
            "description",
            "This field may not be null.".to_owned(),
        ),
    ];
    for (body, field, message) in cases {
        let reply = app.post("/teams/", &token, body.clone()).await;
        assert_field_error(&reply, field, &message, &body.to_string());
    }
    // The limits themselves are accepted.
    create_team(
        &app,
        &token,
        json!({"name": "é".repeat(255), "description": "d".repeat(1000)}),
    )
    .await;
    // Both bad fields are reported at once.
    let reply = app
        .post(
            "/teams/",
            &token,
            json!({"name": "", "description": "d".repeat(1001)}),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "two bad fields");
    assert!(reply.body.get("name").is_some() && reply.body.get("description").is_some());
    assert_eq!(
        list(&app, &token, "").await["count"],
        1,
        "nothing else was created"
    );
}

#[actix_web::test]
async fn malformed_and_unsupported_bodies() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let send = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/teams/"))
            .header("Authorization", format!("JWT {token}"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let reply = Reply::from(send("application/json", "{\"name\": ").await.unwrap()).await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "malformed JSON");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{}",
        reply.body
    );
    let reply = Reply::from(send("application/json", "[]").await.unwrap()).await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "a list");
    assert!(
        reply.body.get("non_field_errors").is_some(),
        "{}",
        reply.body
    );
    let reply = Reply::from(send("text/plain", "name=x").await.unwrap()).await;
    assert_status(&reply, StatusCode::UNSUPPORTED_MEDIA_TYPE, "text/plain");
}

// ---------------------------------------------------------------- lists

#[actix_web::test]
async fn list_is_an_envelope_ordered_by_name_by_default() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let empty = list(&app, &token, "").await;
    assert_eq!(
        empty,
        json!({"count": 0, "page_total": 1, "page": 1, "length": 10, "results": []})
    );
    for name in ["Charlie", "Alpha", "Bravo"] {
        create_named(&app, &token, name).await;
    }
    let page = list(&app, &token, "").await;
    assert_eq!(page["count"], 3);
    assert_eq!(page["page_total"], 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["length"], 10);
    assert_eq!(names(&page), ["Alpha", "Bravo", "Charlie"]);
    let first = &page["results"][0];
    for key in ["id", "name", "description", "changed_by", "changed"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    // Without the trailing slash too.
    let bare = app.get("/teams", &token).await;
    assert_eq!(bare.body, page);
}

#[actix_web::test]
async fn search_is_a_case_insensitive_substring_of_the_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for name in ["Red Team", "blue team", "Ops", "100% uptime", "under_score"] {
        create_named(&app, &token, name).await;
    }
    create_team(
        &app,
        &token,
        json!({"name": "Other", "description": "team in the description only"}),
    )
    .await;
    assert_eq!(
        names(&list(&app, &token, "search=TEAM").await),
        ["Red Team", "blue team"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=d%20t").await),
        ["Red Team"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=%25").await),
        ["100% uptime"]
    );
    assert_eq!(
        names(&list(&app, &token, "search=_").await),
        ["under_score"]
    );
    assert_eq!(list(&app, &token, "search=nothing").await["count"], 0);
    assert_eq!(list(&app, &token, "search=").await["count"], 6);
}

#[actix_web::test]
async fn ordering_by_name_changed_and_created_with_id_tie_break() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let bravo = create_named(&app, &token, "Bravo").await;
    let alpha = create_named(&app, &token, "Alpha").await;
    let charlie = create_named(&app, &token, "Charlie").await;

    assert_eq!(
        names(&list(&app, &token, "ordering=name").await),
        ["Alpha", "Bravo", "Charlie"]
    );
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
            &team_path(&bravo),
            &token,
            json!({"description": "touched"}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "patch");
    assert_eq!(
        ids(&list(&app, &token, "ordering=changed").await),
        [alpha.as_str(), charlie.as_str(), bravo.as_str()]
    );
    assert_eq!(
        ids(&list(&app, &token, "ordering=-changed").await),
        [bravo.as_str(), charlie.as_str(), alpha.as_str()]
    );

    // Equal names fall back to the id, in the same direction.
    // Equal names fall back to the id, in the same direction, so pages are
    // stable: one row at a time gives the same sequence as one page. (Ids are
    // compared in the database's collation, so the expected order is not
    // recomputed here.)
    let mut same = Vec::new();
    for _ in 0..4 {
        same.push(create_named(&app, &token, "Same").await);
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

    for bad in ["description", "-password", "id", "name,changed"] {
        let reply = app.get(&format!("/teams/?ordering={bad}"), &token).await;
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
    for name in ["A1", "A2", "A3", "A4", "A5"] {
        create_named(&app, &token, name).await;
    }
    let first = list(&app, &token, "length=2").await;
    assert_eq!(first["count"], 5);
    assert_eq!(first["page_total"], 3);
    assert_eq!(first["length"], 2);
    assert_eq!(names(&first), ["A1", "A2"]);
    let last = list(&app, &token, "length=2&page=3").await;
    assert_eq!(last["page"], 3);
    assert_eq!(names(&last), ["A5"]);
    assert_eq!(list(&app, &token, "length=1000").await["length"], 100);

    for page in ["4", "0", "-1", "x", "1.5"] {
        let reply = app
            .get(&format!("/teams/?length=2&page={page}"), &token)
            .await;
        assert_status(&reply, StatusCode::NOT_FOUND, page);
        assert_eq!(
            reply.body,
            json!({"detail": "Invalid page."}),
            "page={page}"
        );
    }
    for length in ["0", "-3", "ten"] {
        let reply = app.get(&format!("/teams/?length={length}"), &token).await;
        assert_status(&reply, StatusCode::BAD_REQUEST, length);
        assert!(reply.body.get("length").is_some(), "{}", reply.body);
    }
    // A search with no match still has its page 1.
    let none = list(&app, &token, "search=zzz&page=1").await;
    assert_eq!(none["count"], 0);
    assert_eq!(none["page_total"], 1);
}

// ---------------------------------------------------------------- update, delete

#[actix_web::test]
async fn put_requires_name_and_keeps_omitted_fields() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let team = create_team(&app, &token, json!({"name": "Ops", "description": "Keeps"})).await;
    let id = team["id"].as_str().unwrap();

    let reply = app
        .put(&team_path(id), &token, json!({"description": "x"}))
        .await;
    assert_field_error(&reply, "name", REQUIRED, "PUT without name");

    let (_, admin) = app.member(&token, "admin@example.com", "ADMIN").await;
    let admin_id = app.id_of(&token, "admin@example.com").await;
    let reply = app
        .put(&team_path(id), &admin, json!({"name": "SRE"}))
        .await;
    assert_status(&reply, StatusCode::OK, "PUT");
    assert_eq!(reply.body["id"], id);
    assert_eq!(reply.body["name"], "SRE");
    assert_eq!(reply.body["description"], "Keeps");
    assert_eq!(reply.body["changed_by"]["id"], admin_id.as_str());
    assert_eq!(reply.body["changed_by"]["email"], "admin@example.com");
    assert!(
        reply.body["changed"].as_str() > team["changed"].as_str(),
        "changed moves forward"
    );

    let reply = app
        .put(
            &team_path(id),
            &token,
            json!({"name": "SRE", "description": ""}),
        )
        .await;
    assert_status(&reply, StatusCode::OK, "PUT clearing the description");
    assert_eq!(reply.body["description"], "");
    assert_eq!(app.get(&team_path(id), &token).await.body, reply.body);
}

#[actix_web::test]
async fn patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let team = create_team(&app, &token, json!({"name": "Ops", "description": "Keeps"})).await;
    let id = team["id"].as_str().unwrap();

    let reply = app.patch(&team_path(id), &token, json!({})).await;
    assert_status(&reply, StatusCode::OK, "empty PATCH");
    assert_eq!(reply.body["name"], "Ops");
    assert_eq!(reply.body["description"], "Keeps");

    let reply = app
        .patch(&team_path(id), &token, json!({"description": "New words"}))
        .await;
    assert_status(&reply, StatusCode::OK, "PATCH");
    assert_eq!(reply.body["name"], "Ops");
    assert_eq!(reply.body["description"], "New words");

    let reply = app.patch(&team_path(id), &token, json!({"name": ""})).await;
    assert_field_error(&reply, "name", BLANK, "PATCH blank name");
    assert_eq!(app.get(&team_path(id), &token).await.body["name"], "Ops");
}

#[actix_web::test]
async fn delete_answers_204_then_404() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_named(&app, &token, "Doomed").await;
    let keep = create_named(&app, &token, "Kept").await;

    let reply = app.delete(&team_path(&id), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete");
    assert_eq!(reply.body, Value::Null);
    assert_not_found(&app.get(&team_path(&id), &token).await, "get after delete");
    assert_not_found(&app.delete(&team_path(&id), &token).await, "delete twice");
    assert_eq!(ids(&list(&app, &token, "").await), [keep]);
}

#[actix_web::test]
async fn unsupported_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = create_named(&app, &token, "Ops").await;
    let reply = app
        .call(Method::DELETE, "/teams/", Some(&token), None)
        .await;
    assert_status(&reply, StatusCode::METHOD_NOT_ALLOWED, "DELETE /teams/");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert_eq!(
        reply.body,
        json!({"detail": "Method \"DELETE\" not allowed."})
    );
    let reply = app
        .call(Method::POST, &team_path(&id), Some(&token), Some(json!({})))
        .await;
    assert_status(&reply, StatusCode::METHOD_NOT_ALLOWED, "POST /teams/{id}/");
    assert_eq!(reply.header("allow"), Some("GET, PUT, PATCH, DELETE"));
}

// ---------------------------------------------------------------- authorization

#[actix_web::test]
async fn every_method_needs_authentication() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let path = team_path(&create_named(&app, &token, "Ops").await);
    for (method, path) in [
        (Method::GET, "/teams/"),
        (Method::POST, "/teams/"),
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
        let reply = app.call(method.clone(), path, Some("garbage"), None).await;
        assert_status(
            &reply,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path} bad token"),
        );
        assert_eq!(reply.body, json!({"detail": "Invalid token."}));
    }
}

#[actix_web::test]
async fn an_employee_reads_teams_but_cannot_write_them() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = create_team(&app, &owner, json!({"name": "Ops"})).await;
    let id = team["id"].as_str().unwrap();
    let (_, employee) = app.member(&owner, "employee@example.com", "EMPLOYEE").await;

    assert_eq!(list(&app, &employee, "").await["count"], 1);
    let reply = app.get(&team_path(id), &employee).await;
    assert_status(&reply, StatusCode::OK, "employee GET");
    assert_eq!(reply.body, team);

    assert_forbidden(
        &app.post("/teams/", &employee, json!({"name": "Mine"}))
            .await,
        "POST",
    );
    // Authorization comes before validation.
    assert_forbidden(
        &app.post("/teams/", &employee, json!({"name": ""})).await,
        "bad POST",
    );
    assert_forbidden(
        &app.put(&team_path(id), &employee, json!({"name": "X"}))
            .await,
        "PUT",
    );
    assert_forbidden(
        &app.patch(&team_path(id), &employee, json!({"name": ""}))
            .await,
        "PATCH",
    );
    assert_forbidden(&app.delete(&team_path(id), &employee).await, "DELETE");
    let malformed = Reply::from(
        app.client
            .post(app.url("/teams/"))
            .header("Authorization", format!("JWT {employee}"))
            .header("Content-Type", "application/json")
            .body("{oops")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_forbidden(&malformed, "malformed POST");
    assert_eq!(
        app.get(&team_path(id), &owner).await.body,
        team,
        "unchanged"
    );
}

#[actix_web::test]
async fn an_admin_manages_teams() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let team = create_team(&app, &admin, json!({"name": "Ops"})).await;
    assert_eq!(team["changed_by"]["email"], "admin@example.com");
    let id = team["id"].as_str().unwrap();
    let reply = app
        .patch(&team_path(id), &admin, json!({"name": "SRE"}))
        .await;
    assert_status(&reply, StatusCode::OK, "admin PATCH");
    let reply = app.delete(&team_path(id), &admin).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "admin DELETE");
}

#[actix_web::test]
async fn malformed_and_foreign_ids_are_404_in_every_method() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    let foreign = create_team(&app, &other, json!({"name": "Theirs"})).await;
    let foreign_id = foreign["id"].as_str().unwrap();
    create_named(&app, &owner, "Ours").await;

    for id in [
        foreign_id,
        "nope",
        "0OIl0OIl0OIl",
        "123456789ABCD",
        "12345678901",
    ] {
        let path = team_path(id);
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
    // Each organization lists only its own teams; the foreign team is intact.
    assert_eq!(names(&list(&app, &owner, "").await), ["Ours"]);
    let theirs = app.get(&team_path(foreign_id), &other).await;
    assert_eq!(theirs.body, foreign);
    let reply = app.get("/teams/", &other).await;
    assert_eq!(names(&reply.body), ["Theirs"]);
}

// ---------------------------------------------------------------- users

fn team_roles(user: &Value) -> Vec<&Value> {
    user["user_roles"]
        .as_array()
        .expect("user_roles is a list")
        .iter()
        .filter(|r| r["scope"]["tier"] == "team")
        .collect()
}

#[actix_web::test]
async fn a_team_tier_role_shows_its_team_and_goes_with_the_team() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let team = create_team(&app, &token, json!({"name": "Blue team"})).await;
    let team_id = team["id"].as_str().unwrap();

    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "member@example.com", "name": "Member", "user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": "ADMIN", "scope": {"tier": "team"}, "team": team_id},
            ]}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "user with a team-tier role");
    let user_id = reply.body["id"].as_str().unwrap().to_owned();
    let roles = team_roles(&reply.body);
    assert_eq!(roles.len(), 1, "{}", reply.body);
    assert_eq!(roles[0]["role"]["name"], "ADMIN");
    assert_eq!(
        roles[0]["team"],
        json!({"id": team_id, "name": "Blue team"})
    );
    assert_eq!(roles[0]["target"], Value::Null);

    // The embedded name follows the team.
    let reply = app
        .patch(&team_path(team_id), &token, json!({"name": "Red team"}))
        .await;
    assert_status(&reply, StatusCode::OK, "rename");
    let user = app.get(&format!("/users/{user_id}/"), &token).await.body;
    assert_eq!(team_roles(&user)[0]["team"]["name"], "Red team");

    // `{"id": ...}` references work as well.
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "second@example.com", "name": "Second", "user_roles": [
                {"role": {"id": "RoLeviewerXy"}, "scope": {"tier": "account"}},
                {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": {"id": team_id}},
            ]}),
        )
        .await;
    assert_status(&reply, StatusCode::CREATED, "object references");
    assert_eq!(team_roles(&reply.body)[0]["team"]["id"], team_id);

    // Deleting the team removes the role; the membership stays.
    let reply = app.delete(&team_path(team_id), &token).await;
    assert_status(&reply, StatusCode::NO_CONTENT, "delete team");
    let user = app.get(&format!("/users/{user_id}/"), &token).await.body;
    assert!(team_roles(&user).is_empty(), "{user}");
    let roles = user["user_roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{user}");
    assert_eq!(roles[0]["role"]["name"], "EMPLOYEE");
    assert_eq!(roles[0]["scope"]["tier"], "account");
}

#[actix_web::test]
async fn a_role_on_another_organizations_team_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let other = app.second_organization("other@example.com").await;
    let foreign = create_team(&app, &other, json!({"name": "Theirs"})).await;
    let foreign_id = foreign["id"].as_str().unwrap();
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "member@example.com", "name": "Member", "user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": "ADMIN", "scope": {"tier": "team"}, "team": foreign_id},
            ]}),
        )
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST, "foreign team");
    assert_eq!(
        reply.body["user_roles"][1]["team"],
        json!([format!(
            "Invalid pk \"{foreign_id}\" - object does not exist."
        )])
    );
}
