//! `/access-requests/`: a person asks for a role at a place for a while;
//! someone who could grant it there approves (a time-bound grant, in the
//! same transaction) or denies; self-approval and approval by someone who
//! could not grant it are refused; mail, audit, webhooks and MCP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, Reply, TestApp, spawn_app, spawn_app_with};
use crate::smtp::{Mode, SmtpSink};

/// A team: its id.
async fn team(app: &TestApp, token: &str, name: &str) -> String {
    app.create("/teams/", token, json!({"name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Gives user `id` exactly `roles` (its membership role included).
async fn set_roles(app: &TestApp, token: &str, id: &str, roles: Value) {
    let reply = app
        .patch(
            &format!("/users/{id}/"),
            token,
            json!({"user_roles": roles}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

fn request_body(role: &str, team: &str, duration: i64) -> Value {
    json!({"role": role, "scope": {"tier": "team"}, "team": team,
           "duration": duration, "reason": "On call this week"})
}

async fn make_request(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/access-requests/", token, body).await
}

async fn decide(app: &TestApp, token: &str, id: &str, verb: &str, body: Value) -> Reply {
    app.post(&format!("/access-requests/{id}/{verb}/"), token, body)
        .await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app.get(&format!("/access-requests/?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.body
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The audit events of `action` about `object_id`.
async fn audited(app: &TestApp, token: &str, action: &str, object_id: &str) -> Vec<Value> {
    let reply = app
        .get(
            &format!("/audit-events/?action={action}&object_id={object_id}"),
            token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["results"].as_array().unwrap().clone()
}

/// An organization with a team, a requester (EMPLOYEE), the team's admin
/// (VIEWER, ADMIN at the team), a bystander (EMPLOYEE) and the admin of
/// another team: (app, owner, team, [(id, token)] in that order).
struct World {
    app: TestApp,
    owner: String,
    team: String,
    requester: (String, String),
    team_admin: (String, String),
    bystander: (String, String),
    other_admin: (String, String),
}

async fn world(app: TestApp) -> World {
    let owner = app.owner_token().await;
    let team_id = team(&app, &owner, "Red").await;
    let other_team = team(&app, &owner, "Blue").await;
    let requester = app.member(&owner, "req@example.com", "EMPLOYEE").await;
    let team_admin = app.member(&owner, "lead@example.com", "VIEWER").await;
    set_roles(
        &app,
        &owner,
        &team_admin.0,
        json!([{"role": "VIEWER", "scope": {"tier": "account"}},
               {"role": "ADMIN", "scope": {"tier": "team"}, "team": team_id}]),
    )
    .await;
    let bystander = app.member(&owner, "by@example.com", "EMPLOYEE").await;
    let other_admin = app.member(&owner, "blue@example.com", "VIEWER").await;
    set_roles(
        &app,
        &owner,
        &other_admin.0,
        json!([{"role": "VIEWER", "scope": {"tier": "account"}},
               {"role": "ADMIN", "scope": {"tier": "team"}, "team": other_team}]),
    )
    .await;
    World {
        app,
        owner,
        team: team_id,
        requester,
        team_admin,
        bystander,
        other_admin,
    }
}

#[actix_web::test]
async fn an_approved_request_is_a_working_time_bound_grant() {
    let w = world(spawn_app().await).await;
    let (app, team) = (&w.app, &w.team);
    let edit_team = |token: String| async move {
        app.patch(
            &format!("/teams/{team}/"),
            &token,
            json!({"description": "edited"}),
        )
        .await
        .status
    };
    assert_eq!(
        edit_team(w.requester.1.clone()).await,
        StatusCode::FORBIDDEN
    );

    let reply = app
        .post(
            "/access-requests/",
            &w.requester.1,
            request_body("ADMIN", team, 3600),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let request = reply.body;
    let id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/access-requests/{id}/")
    );
    assert_eq!(request["status"], "PENDING");
    assert_eq!(request["requester"]["id"], w.requester.0.as_str());
    assert_eq!(request["role"]["name"], "ADMIN");
    assert_eq!(request["scope"]["tier"], "team");
    assert_eq!(request["team"]["name"], "Red");
    assert_eq!(request["duration"], 3600);
    assert_eq!(request["reason"], "On call this week");
    assert!(request["grant"].is_null() && request["decided_by"].is_null());

    // Who sees it: the requester, who could decide it, auditors; not others.
    assert_eq!(
        ids(&list(app, &w.requester.1, "mine=true").await),
        [id.as_str()]
    );
    assert_eq!(
        ids(&list(app, &w.team_admin.1, "approvable=true").await),
        [id.as_str()]
    );
    assert_eq!(ids(&list(app, &w.owner, "").await), [id.as_str()]);
    assert_eq!(list(app, &w.bystander.1, "").await["count"], 0);
    assert_eq!(
        list(app, &w.other_admin.1, "approvable=true").await["count"],
        0
    );
    assert_eq!(
        list(app, &w.requester.1, "approvable=true").await["count"],
        0
    );
    let path = format!("/access-requests/{id}/");
    assert_eq!(app.get(&path, &w.team_admin.1).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&path, &w.bystander.1).await.status,
        StatusCode::NOT_FOUND
    );

    // Self-approval, and approval by whoever could not grant it, are refused.
    let own = decide(app, &w.requester.1, &id, "approve", json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert_eq!(
        own.body["detail"],
        "You cannot decide your own access request."
    );
    for token in [&w.bystander.1, &w.other_admin.1] {
        let refused = decide(app, token, &id, "approve", json!({})).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("could grant this role there"),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        edit_team(w.requester.1.clone()).await,
        StatusCode::FORBIDDEN
    );

    let approved = decide(
        app,
        &w.team_admin.1,
        &id,
        "approve",
        json!({"comment": "Go ahead"}),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let approved = approved.body;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["comment"], "Go ahead");
    assert_eq!(approved["decided_by"]["id"], w.team_admin.0.as_str());
    let starts = approved["grant"]["starts"].as_str().unwrap();
    let expires = approved["grant"]["expires"].as_str().unwrap();
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    assert_eq!((at(expires) - at(starts)).num_seconds(), 3600);

    // The grant works at once, and the user's roles show it.
    assert_eq!(edit_team(w.requester.1.clone()).await, StatusCode::OK);
    let user = app
        .get(&format!("/users/{}/", w.requester.0), &w.owner)
        .await
        .body;
    let granted = user["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"]["name"] == "ADMIN")
        .unwrap_or_else(|| panic!("no ADMIN in {user}"))
        .clone();
    assert_eq!(granted["team"]["id"], team.as_str());
    assert_grant_window(&granted, expires);

    // Decided once only.
    for verb in ["approve", "deny"] {
        let again = decide(app, &w.team_admin.1, &id, verb, json!({})).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert_eq!(
            again.body["detail"],
            "This access request was already decided."
        );
    }
    let cancel = app
        .call(
            Method::POST,
            &format!("/access-requests/{id}/cancel/"),
            Some(&w.requester.1),
            None,
        )
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{}", cancel.body);

    // Audited, and the grant through the users' own trail.
    assert_eq!(
        audited(app, &w.owner, "access_request.created", &id)
            .await
            .len(),
        1
    );
    let event = audited(app, &w.owner, "access_request.approved", &id).await;
    assert_eq!(event.len(), 1);
    assert_eq!(event[0]["actor"]["id"], w.team_admin.0.as_str());
    let updated = audited(app, &w.owner, "user.updated", &w.requester.0).await;
    assert!(
        updated
            .iter()
            .any(|e| e["changes"].get("user_roles").is_some()),
        "{updated:?}"
    );
}

/// The assignment an approval added ends when the approval says.
fn assert_grant_window(assignment: &Value, expires: &str) {
    if let Some(stored) = assignment.get("expires") {
        assert_eq!(stored.as_str(), Some(expires), "{assignment}");
    }
}

#[actix_web::test]
async fn requests_are_denied_cancelled_and_filtered() {
    let w = world(spawn_app().await).await;
    let app = &w.app;
    let first = make_request(app, &w.requester.1, request_body("ADMIN", &w.team, 600)).await;
    let second = make_request(app, &w.requester.1, request_body("AUDITOR", &w.team, 600)).await;
    let third = make_request(app, &w.bystander.1, request_body("VIEWER", &w.team, 60)).await;
    let (first, second, third) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
        third["id"].as_str().unwrap(),
    );

    let denied = decide(app, &w.owner, first, "deny", json!({"comment": "Not now"})).await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.body);
    assert_eq!(denied.body["status"], "DENIED");
    assert_eq!(denied.body["comment"], "Not now");
    assert!(denied.body["grant"].is_null());
    let roles = app
        .get(&format!("/users/{}/", w.requester.0), &w.owner)
        .await
        .body["user_roles"]
        .clone();
    assert_eq!(roles.as_array().unwrap().len(), 1, "{roles}");
    assert_eq!(
        audited(app, &w.owner, "access_request.denied", first)
            .await
            .len(),
        1
    );

    // Only its requester cancels.
    let path = format!("/access-requests/{second}/cancel/");
    let by_admin = app.call(Method::POST, &path, Some(&w.owner), None).await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN, "{}", by_admin.body);
    let by_bystander = app
        .call(Method::POST, &path, Some(&w.bystander.1), None)
        .await;
    assert_eq!(by_bystander.status, StatusCode::NOT_FOUND);
    let cancelled = app
        .call(Method::POST, &path, Some(&w.requester.1), None)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "CANCELLED");
    let late = decide(app, &w.owner, second, "approve", json!({})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);

    // Filters, paging and ordering.
    let owner = &w.owner;
    assert_eq!(list(app, owner, "").await["count"], 3);
    assert_eq!(ids(&list(app, owner, "status=DENIED").await), [first]);
    assert_eq!(ids(&list(app, owner, "status=CANCELLED").await), [second]);
    assert_eq!(ids(&list(app, owner, "status=PENDING").await), [third]);
    assert_eq!(list(app, owner, "status=EXPIRED").await["count"], 0);
    assert_eq!(ids(&list(app, owner, "role=AUDITOR").await), [second]);
    assert_eq!(
        ids(&list(app, owner, &format!("requester={}", w.bystander.0)).await),
        [third]
    );
    assert_eq!(ids(&list(app, owner, "approvable=true").await), [third]);
    assert_eq!(list(app, owner, "mine=true").await["count"], 0);
    assert_eq!(
        ids(&list(app, owner, "ordering=created&length=1&page=3").await),
        [third]
    );
    assert_eq!(
        ids(&list(app, owner, "length=1").await),
        [third],
        "newest first"
    );
    // The team's admin sees what it could decide: all three are at its team.
    assert_eq!(list(app, &w.team_admin.1, "").await["count"], 3);
    assert_eq!(
        ids(&list(app, &w.team_admin.1, "approvable=true").await),
        [third]
    );
    assert_eq!(list(app, &w.requester.1, "").await["count"], 2);
    for bad in [
        "status=LOST",
        "mine=maybe",
        "ordering=reason",
        "requester=nope",
        "length=0",
    ] {
        let reply = app.get(&format!("/access-requests/?{bad}"), owner).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
    let past = app.get("/access-requests/?page=9", owner).await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    assert_eq!(past.body["detail"], "Invalid page.");
}

#[actix_web::test]
async fn requests_are_validated_and_max_duration_enforced() {
    let w = world(spawn_app().await).await;
    let (app, token, team) = (&w.app, &w.requester.1, &w.team);
    let bad = |body: Value| async move {
        let reply = app.post("/access-requests/", token, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        reply.body
    };
    let missing = bad(json!({})).await;
    for field in ["role", "duration", "reason"] {
        assert!(missing.get(field).is_some(), "{field}: {missing}");
    }
    let owner_role = bad(json!({"role": "OWNER", "duration": 60, "reason": "x"})).await;
    assert_eq!(owner_role["role"], json!(["OWNER cannot be requested."]));
    let membership = bad(json!({"role": "ADMIN", "duration": 60, "reason": "x"})).await;
    assert!(membership.get("role").is_some(), "{membership}");
    let no_team = bad(json!({"role": "ADMIN", "scope": {"tier": "team"},
                             "duration": 60, "reason": "x"}))
    .await;
    assert_eq!(no_team["team"], json!(["A team-tier role needs a team."]));
    let unknown = bad(json!({"role": "ADMIN", "team": "111111111111",
                             "duration": 60, "reason": "x"}))
    .await;
    assert!(unknown.get("team").is_some(), "{unknown}");
    let unknown_role = bad(request_body("NoSuchRole11", team, 60)).await;
    assert!(unknown_role.get("role").is_some(), "{unknown_role}");
    for duration in [
        json!(0),
        json!(-1),
        json!(366 * 86400),
        json!("soon"),
        json!(1.5),
    ] {
        let mut body = request_body("ADMIN", team, 1);
        body["duration"] = duration;
        let errors = bad(body).await;
        assert!(errors.get("duration").is_some(), "{errors}");
    }
    let mut blank = request_body("ADMIN", team, 60);
    blank["reason"] = json!("   ");
    assert!(bad(blank).await.get("reason").is_some());
    let mut long = request_body("ADMIN", team, 60);
    long["reason"] = json!("x".repeat(1001));
    assert!(bad(long).await.get("reason").is_some());

    // A custom role's max_duration, set and cleared through /roles/.
    let role = app
        .create(
            "/roles/",
            &w.owner,
            json!({"name": "Deployer", "permissions": ["targets.manage"], "max_duration": 3600}),
        )
        .await;
    assert_eq!(role["max_duration"], 3600);
    let role_id = role["id"].as_str().unwrap();
    let too_long = bad(request_body(role_id, team, 7200)).await;
    assert_eq!(
        too_long["duration"],
        json!(["This role can be requested for at most 3600 seconds."])
    );
    make_request(app, token, request_body(role_id, team, 3600)).await;
    let twice = bad(request_body(role_id, team, 60)).await;
    assert_eq!(
        twice["non_field_errors"],
        json!(["You already have a pending request for this role there."])
    );
    for (value, status) in [
        (json!(0), StatusCode::BAD_REQUEST),
        (json!("x"), StatusCode::BAD_REQUEST),
        (json!(null), StatusCode::OK),
    ] {
        let reply = app
            .patch(
                &format!("/roles/{role_id}/"),
                &w.owner,
                json!({"max_duration": value}),
            )
            .await;
        assert_eq!(reply.status, status, "{value}: {}", reply.body);
    }
    assert!(app.get(&format!("/roles/{role_id}/"), &w.owner).await.body["max_duration"].is_null());
    assert_eq!(
        app.get("/roles/RoLeadmin2Xy/", &w.owner).await.body["max_duration"],
        Value::Null
    );

    // What one holds there already.
    let reply = app
        .post(
            "/access-requests/",
            &w.team_admin.1,
            request_body("ADMIN", team, 60),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body["non_field_errors"],
        json!(["You already hold this role there."])
    );

    // 401 and 404.
    let anonymous = app.call(Method::GET, "/access-requests/", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let anonymous = app
        .call(
            Method::POST,
            "/access-requests/",
            None,
            Some(request_body("ADMIN", team, 60)),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    for path in [
        "/access-requests/111111111111/",
        "/access-requests/nope/",
        "/access-requests/111111111111/approve/",
        "/access-requests/111111111111/deny/",
        "/access-requests/111111111111/cancel/",
    ] {
        let method = if path.ends_with("requests/111111111111/") || path.ends_with("nope/") {
            Method::GET
        } else {
            Method::POST
        };
        let reply = app.call(method, path, Some(&w.owner), None).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.body
        );
    }
    // A bad comment is a 400, after the checks of who may decide.
    let pending = make_request(app, token, request_body("VIEWER", team, 60)).await;
    let pending = pending["id"].as_str().unwrap();
    let by_bystander = decide(
        app,
        &w.bystander.1,
        pending,
        "deny",
        json!({"comment": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(by_bystander.status, StatusCode::FORBIDDEN);
    let long_comment = decide(
        app,
        &w.team_admin.1,
        pending,
        "deny",
        json!({"comment": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(
        long_comment.status,
        StatusCode::BAD_REQUEST,
        "{}",
        long_comment.body
    );
    assert!(long_comment.body.get("comment").is_some());
}

#[actix_web::test]
async fn another_organization_sees_nothing() {
    let w = world(spawn_app().await).await;
    let app = &w.app;
    let request = make_request(app, &w.requester.1, request_body("ADMIN", &w.team, 60)).await;
    let id = request["id"].as_str().unwrap();
    let other = app.second_organization("boss@other.example.com").await;
    assert_eq!(
        app.get(&format!("/access-requests/{id}/"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for verb in ["approve", "deny", "cancel"] {
        let reply = decide(app, &other, id, verb, json!({})).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{verb}: {}",
            reply.body
        );
    }
    assert_eq!(list(app, &other, "").await["count"], 0);
    // Another organization's team is unknown in a body.
    let theirs = make_request(
        app,
        &other,
        json!({"role": "AUDITOR", "scope": {"tier": "team"},
               "team": team(app, &other, "Theirs").await, "duration": 60, "reason": "x"}),
    )
    .await;
    let their_team = theirs["team"]["id"].as_str().unwrap();
    let reply = app
        .post(
            "/access-requests/",
            &w.requester.1,
            request_body("ADMIN", their_team, 60),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.get("team").is_some(), "{}", reply.body);
    let mine = app
        .get(
            &format!("/access-requests/{}/", theirs["id"].as_str().unwrap()),
            &w.owner,
        )
        .await;
    assert_eq!(mine.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn approvers_are_mailed_and_the_requester_told() {
    let sink = SmtpSink::start(Mode::Accept).await;
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.mail_from = "Tessera <no-reply@tessera.test>".into();
        s.mail.public_url = Some("https://users.example.com".into());
        s.mail.mail_retry_delay_ms = 50;
    })
    .await;
    let w = world(app).await;
    let app = &w.app;
    let request = make_request(app, &w.requester.1, request_body("ADMIN", &w.team, 7200)).await;
    let id = request["id"].as_str().unwrap();
    // The owner and the team's admin could grant it; nobody else.
    let mails = sink.wait_for(2).await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["lead@example.com", OWNER_EMAIL]);
    let mail = &mails[0];
    assert!(
        mail.header("Subject").unwrap().contains("requests ADMIN"),
        "{:?}",
        mail.header("Subject")
    );
    assert_eq!(
        mail.link("/access-requests/"),
        format!("https://users.example.com/access-requests/{id}/")
    );

    let approved = decide(
        app,
        &w.team_admin.1,
        id,
        "approve",
        json!({"comment": "ok"}),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let mails = sink.wait_for(3).await;
    let told = &mails[2];
    assert_eq!(told.to, ["req@example.com"]);
    assert!(
        told.header("Subject").unwrap().contains("approved"),
        "{:?}",
        told.header("Subject")
    );
}

#[actix_web::test]
async fn requests_and_decisions_are_raised_as_webhooks() {
    let app = spawn_app_with(|s| {
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.scheduler_interval = 0;
    })
    .await;
    let w = world(app).await;
    let app = &w.app;
    let hook = app
        .create(
            "/webhooks/",
            &w.owner,
            json!({"url": "http://127.0.0.1:9/hook",
                   "events": ["access_request.*", "membership.updated"],
                   "secret": "a-long-enough-secret"}),
        )
        .await;
    let hook = hook["id"].as_str().unwrap();
    let request = make_request(app, &w.requester.1, request_body("ADMIN", &w.team, 60)).await;
    let id = request["id"].as_str().unwrap();
    decide(app, &w.team_admin.1, id, "approve", json!({})).await;
    let other = make_request(app, &w.bystander.1, request_body("VIEWER", &w.team, 60)).await;
    decide(
        app,
        &w.owner,
        other["id"].as_str().unwrap(),
        "deny",
        json!({}),
    )
    .await;
    let deliveries = app
        .get(
            &format!("/webhooks/{hook}/deliveries/?length=100"),
            &w.owner,
        )
        .await;
    assert_eq!(deliveries.status, StatusCode::OK, "{}", deliveries.body);
    let mut types: Vec<&str> = deliveries.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "access_request.approved",
            "access_request.created",
            "access_request.created",
            "access_request.denied",
            "membership.updated",
        ]
    );
}

/// A `tools/call` on the MCP endpoint: its JSON-RPC result.
async fn tool(app: &TestApp, token: &str, name: &str, arguments: Value) -> Value {
    let reply = app
        .client
        .post(app.url("/api/mcp/v1"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": arguments}}))
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.body);
    reply.body["result"].clone()
}

#[actix_web::test]
async fn mcp_tools_request_approve_and_deny_by_the_same_rules() {
    let w = world(spawn_app().await).await;
    let app = &w.app;
    let org = app.get("/account/", &w.owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = tool(
        app,
        &w.requester.1,
        "requestAccess",
        json!({"organization_id": org, "role": "ADMIN", "tier": "team", "team_id": w.team,
               "duration_seconds": 900, "reason": "Incident 42"}),
    )
    .await;
    assert_eq!(asked["isError"], false, "{asked}");
    let request = &asked["structuredContent"]["access_request"];
    assert_eq!(request["status"], "PENDING");
    let id = request["id"].as_str().unwrap().to_owned();

    let decide_args = json!({"organization_id": org, "access_request_id": id});
    let own = tool(
        app,
        &w.requester.1,
        "approveAccessRequest",
        decide_args.clone(),
    )
    .await;
    assert_eq!(own["isError"], true, "{own}");
    assert_eq!(
        own["content"][0]["text"],
        "You cannot decide your own access request."
    );
    let weak = tool(
        app,
        &w.other_admin.1,
        "approveAccessRequest",
        decide_args.clone(),
    )
    .await;
    assert_eq!(weak["isError"], true, "{weak}");
    let approved = tool(
        app,
        &w.team_admin.1,
        "approveAccessRequest",
        decide_args.clone(),
    )
    .await;
    assert_eq!(approved["isError"], false, "{approved}");
    let approved = &approved["structuredContent"]["access_request"];
    assert_eq!(approved["status"], "APPROVED");
    assert!(approved["grant_expires_at"].is_string());
    let again = tool(app, &w.team_admin.1, "denyAccessRequest", decide_args).await;
    assert_eq!(again["isError"], true, "{again}");

    let wrong_org = tool(
        app,
        &w.team_admin.1,
        "denyAccessRequest",
        json!({"organization_id": "111111111111", "access_request_id": id}),
    )
    .await;
    assert_eq!(wrong_org["isError"], true, "{wrong_org}");
    let invalid = tool(
        app,
        &w.requester.1,
        "requestAccess",
        json!({"organization_id": org, "role": "OWNER", "duration_seconds": 60, "reason": "x"}),
    )
    .await;
    assert_eq!(invalid["isError"], true, "{invalid}");
    let event = audited(app, &w.owner, "access_request.approved", &id).await;
    assert_eq!(event[0]["interface"], "mcp", "{event:?}");
}
