//! `/access-review/`: the report is compared with what the service really
//! allows each user of a fixture organization.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

struct Fixture {
    app: TestApp,
    owner: String,
    team: String,
    target_in_team: String,
    lone_target: String,
    /// (name, user id, token) of each member.
    members: Vec<(&'static str, String, String)>,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = app.create("/teams/", &owner, json!({"name": "Blue"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target_in_team = app
        .create(
            "/targets/",
            &owner,
            json!({"name": "in-team", "url": "https://a.example.com", "teams": [team]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lone_target = app
        .create(
            "/targets/",
            &owner,
            json!({"name": "lone", "url": "https://b.example.com"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let editor = app
        .create(
            "/roles/",
            &owner,
            json!({"name": "Target editor", "permissions": ["targets.view", "targets.manage"]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut members = Vec::new();
    for (name, roles) in [
        (
            "admin",
            json!([{"role": "ADMIN", "scope": {"tier": "account"}}]),
        ),
        (
            "employee",
            json!([{"role": "EMPLOYEE", "scope": {"tier": "account"}}]),
        ),
        (
            "auditor",
            json!([{"role": "AUDITOR", "scope": {"tier": "account"}}]),
        ),
        (
            "team-admin",
            json!([{"role": "EMPLOYEE", "scope": {"tier": "account"}},
                   {"role": "ADMIN", "scope": {"tier": "team"}, "team": team}]),
        ),
        (
            "scoped",
            json!([{"role": "EMPLOYEE", "scope": {"tier": "account"}},
                   {"role": editor, "scope": {"tier": "scope"}, "target": lone_target}]),
        ),
    ] {
        let email = format!("{name}@example.com");
        let user = app
            .create(
                "/users/",
                &owner,
                json!({"email": email, "name": name, "password": crate::helpers::PASSWORD, "user_roles": roles}),
            )
            .await;
        let token = app.login(&email, crate::helpers::PASSWORD).await;
        members.push((name, user["id"].as_str().unwrap().to_owned(), token));
    }
    Fixture {
        app,
        owner,
        team,
        target_in_team,
        lone_target,
        members,
    }
}

/// The permissions the review lists for `user` under `query`.
async fn reviewed(f: &Fixture, user: &str, query: &str) -> Vec<Value> {
    let reply = f
        .app
        .get(&format!("/access-review/?user={user}&{query}"), &f.owner)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["permissions"].as_array().unwrap().clone())
        .collect()
}

#[actix_web::test]
async fn the_review_matches_real_authorization_outcomes() {
    let f = fixture().await;
    let app = &f.app;
    for (i, (name, id, token)) in f.members.iter().enumerate() {
        // Target edits: at the target itself, through its team, or organization-wide.
        for target in [&f.target_in_team, &f.lone_target] {
            let real = app
                .patch(
                    &format!("/targets/{target}/"),
                    token,
                    json!({"name": format!("t{i}")}),
                )
                .await
                .status;
            let listed = reviewed(
                &f,
                id,
                &format!("permission=targets.manage&target={target}"),
            )
            .await;
            assert_eq!(
                real == StatusCode::OK,
                !listed.is_empty(),
                "{name} editing target {target}: {real}, review {listed:?}"
            );
            assert!(
                real == StatusCode::OK || real == StatusCode::FORBIDDEN,
                "{name}: {real}"
            );
        }
        // Team edits.
        let real = app
            .patch(
                &format!("/teams/{}/", f.team),
                token,
                json!({"name": format!("team{i}")}),
            )
            .await
            .status;
        let listed = reviewed(&f, id, &format!("permission=teams.manage&team={}", f.team)).await;
        assert_eq!(
            real == StatusCode::OK,
            !listed.is_empty(),
            "{name} editing the team: {real}"
        );
        // Organization-wide: labels and the audit trail.
        let real = app
            .post(
                "/labels/users/",
                token,
                json!({"name": format!("label-{name}")}),
            )
            .await
            .status;
        let org_wide = |perms: &[Value]| perms.iter().any(|p| p["scope"]["type"] == "organization");
        let listed = reviewed(&f, id, "permission=labels.manage").await;
        assert_eq!(
            real == StatusCode::CREATED,
            org_wide(&listed),
            "{name} creating a label: {real}"
        );
        let real = app.get("/audit-events/", token).await.status;
        let listed = reviewed(&f, id, "permission=audit.view").await;
        assert_eq!(
            real == StatusCode::OK,
            org_wide(&listed),
            "{name} reading the audit trail: {real}"
        );
    }
}

#[actix_web::test]
async fn each_permission_names_its_scope_and_assignment() {
    let f = fixture().await;
    let (_, team_admin, _) = &f.members[3];
    let perms = reviewed(&f, team_admin, "").await;
    let team_manage = perms
        .iter()
        .find(|p| p["permission"] == "users.manage")
        .expect("team ADMIN holds users.manage at the team");
    assert_eq!(
        team_manage["scope"],
        json!({"type": "team", "id": f.team, "name": "Blue"})
    );
    assert_eq!(team_manage["granted_by"]["role"]["name"], "ADMIN");
    assert_eq!(team_manage["granted_by"]["tier"], "team");
    let user = f
        .app
        .get(&format!("/users/{team_admin}/"), &f.owner)
        .await
        .body;
    let assignment_ids: Vec<&Value> = user["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert!(
        assignment_ids.contains(&&team_manage["granted_by"]["id"]),
        "{user}"
    );

    let (_, scoped, _) = &f.members[4];
    // Custom roles are named by id (their names are not unique).
    let by_name = f
        .app
        .get("/access-review/?role=Target%20editor", &f.owner)
        .await;
    assert_eq!(by_name.status, StatusCode::BAD_REQUEST);
    let all = f
        .app
        .get(&format!("/access-review/?user={scoped}"), &f.owner)
        .await
        .body;
    let item = &all["results"][0];
    assert_eq!(item["user"]["type"], "user");
    assert_eq!(item["state"], "ACTIVE");
    assert_eq!(item["active"], true);
    assert_eq!(item["mfa_enabled"], false);
    assert!(item["last_login"].is_string());
    let scoped_grant = item["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["scope"]["type"] == "target")
        .unwrap();
    assert_eq!(scoped_grant["scope"]["id"], f.lone_target.as_str());
    assert_eq!(scoped_grant["scope"]["name"], "lone");
    let by_role = reviewed(
        &f,
        scoped,
        &format!(
            "role={}",
            scoped_grant["granted_by"]["role"]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(by_role.len(), 2, "{by_role:?}");
    let by_builtin = reviewed(&f, scoped, "role=employee").await;
    assert!(
        by_builtin
            .iter()
            .all(|p| p["granted_by"]["role"]["name"] == "EMPLOYEE")
    );
    assert!(!by_builtin.is_empty());
}

#[actix_web::test]
async fn api_users_keys_are_counted() {
    let f = fixture().await;
    let api_user = f
        .app
        .create(
            "/api-users/",
            &f.owner,
            json!({"name": "ci", "email": "ci@example.com"}),
        )
        .await;
    let id = api_user["id"].as_str().unwrap();
    let key = f
        .app
        .create(
            &format!("/api-users/{id}/keys/"),
            &f.owner,
            json!({"name": "deploy"}),
        )
        .await;
    f.app
        .create(
            &format!("/api-users/{id}/keys/"),
            &f.owner,
            json!({"name": "spare"}),
        )
        .await;
    let used = f
        .app
        .client
        .get(f.app.url("/profile/"))
        .header(
            "Authorization",
            format!("Bearer {}", key["key"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    let all = f
        .app
        .get(&format!("/access-review/?user={id}"), &f.owner)
        .await
        .body;
    let item = &all["results"][0];
    assert_eq!(item["user"]["type"], "api_user");
    assert_eq!(item["key_count"], 2);
    assert!(item["key_last_used"].is_string(), "{item}");
}

#[actix_web::test]
async fn the_review_pages_filters_and_exports_csv() {
    let f = fixture().await;
    let app = &f.app;
    let all = app.get("/access-review/?length=100", &f.owner).await.body;
    // The owner and the five members (never the hidden System actor).
    assert_eq!(all["count"], 6, "{all}");
    let emails: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"]["email"].as_str().unwrap())
        .collect();
    let mut sorted = emails.clone();
    sorted.sort_unstable();
    assert_eq!(emails, sorted, "by email");
    let page = app
        .get("/access-review/?length=4&page=2", &f.owner)
        .await
        .body;
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    let managers = app
        .get(
            &format!(
                "/access-review/?permission=targets.manage&target={}",
                f.lone_target
            ),
            &f.owner,
        )
        .await
        .body;
    let names: Vec<&str> = managers["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "owner", "scoped"], "{managers}");

    let csv = app
        .client
        .get(app.url(&format!("/access-review/?user={}", f.members[4].1)))
        .header("Authorization", format!("JWT {}", f.owner))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("user_id,user_email,user_name,user_type,active,state"));
    let json_count = reviewed(&f, &f.members[4].1, "").await.len();
    assert_eq!(lines.len() - 1, json_count, "one CSV line per permission");
    assert!(lines[1..].iter().all(|l| l.contains("scoped@example.com")));
    let by_param = app
        .get(
            &format!("/access-review/?format=csv&user={}", f.members[4].1),
            &f.owner,
        )
        .await;
    assert_eq!(by_param.status, StatusCode::OK);

    for (query, field) in [
        ("permission=users.fly", "permission"),
        ("team=111111111111", "team"),
        ("target=nope", "target"),
        ("role=NOBODY", "role"),
        ("user=111111111111", "user"),
        ("format=xml", "format"),
    ] {
        let bad = app.get(&format!("/access-review/?{query}"), &f.owner).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(bad.body[field][0].is_string(), "{query}: {}", bad.body);
    }
    assert_eq!(
        app.get("/access-review/?page=5", &f.owner).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_csv_cell_that_looks_like_a_formula_is_defused() {
    let f = fixture().await;
    f.app
        .create(
            "/users/",
            &f.owner,
            json!({"email": "x@example.com", "name": "=HYPERLINK(\"http://evil\")"}),
        )
        .await;
    let csv = f
        .app
        .client
        .get(f.app.url("/access-review/?format=csv"))
        .header("Authorization", format!("JWT {}", f.owner))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
}

#[actix_web::test]
async fn the_review_needs_its_permission_and_stays_in_its_organization() {
    let f = fixture().await;
    let app = &f.app;
    assert_eq!(
        app.call(Method::GET, "/access-review/", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (_, _, employee) = &f.members[1];
    assert_eq!(
        app.get("/access-review/", employee).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/access-review/?permission=bad", employee)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (_, _, auditor) = &f.members[2];
    assert_eq!(
        app.get("/access-review/", auditor).await.status,
        StatusCode::OK
    );

    let other = app.second_organization("boss@other.example.com").await;
    let theirs = app.get("/access-review/", &other).await.body;
    assert_eq!(theirs["count"], 1, "only their own owner: {theirs}");
    let ours = app
        .get(&format!("/access-review/?user={}", f.members[0].1), &other)
        .await;
    assert_eq!(ours.status, StatusCode::BAD_REQUEST);
    let our_team = app
        .get(&format!("/access-review/?team={}", f.team), &other)
        .await;
    assert_eq!(our_team.status, StatusCode::BAD_REQUEST);
    let our_target = app
        .get(
            &format!("/access-review/?target={}", f.target_in_team),
            &other,
        )
        .await;
    assert_eq!(our_target.status, StatusCode::BAD_REQUEST);
}
