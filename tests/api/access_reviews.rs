//! `/access-reviews/`: review campaigns. Items snapshot the role
//! assignments in scope; a `revoke` takes effect at once, through the rules
//! of a user edit; reports list every decision, reviewer and time.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, PASSWORD, TestApp, spawn_app};

const DUE: &str = "2099-01-01T00:00:00Z";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

struct Fixture {
    app: TestApp,
    owner: String,
    owner_id: String,
    team: String,
    target: String,
    /// ADMIN: the reviewer.
    rev: (String, String),
    /// EMPLOYEE, ADMIN at the team.
    alice: (String, String),
    /// EMPLOYEE, a custom role on the team's target.
    bob: (String, String),
    /// AUDITOR.
    carol: (String, String),
    /// EMPLOYEE, EMPLOYEE at the team.
    dave: (String, String),
}

async fn person(app: &TestApp, owner: &str, email: &str, roles: Value) -> (String, String) {
    let user = app
        .create(
            "/users/",
            owner,
            json!({"email": email, "name": email.split('@').next().unwrap(),
                   "password": PASSWORD, "user_roles": roles}),
        )
        .await;
    (id(&user), app.login(email, PASSWORD).await)
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let owner_id = app.id_of(&owner, OWNER_EMAIL).await;
    let team = id(&app.create("/teams/", &owner, json!({"name": "Blue"})).await);
    let target = id(&app
        .create(
            "/targets/",
            &owner,
            json!({"name": "in-team", "url": "https://a.example.com", "teams": [team]}),
        )
        .await);
    let editor = id(&app
        .create(
            "/roles/",
            &owner,
            json!({"name": "Target editor", "permissions": ["targets.view", "targets.manage"]}),
        )
        .await);
    let account = |role: &str| json!({"role": role, "scope": {"tier": "account"}});
    let rev = person(&app, &owner, "rev@example.com", json!([account("ADMIN")])).await;
    let alice = person(
        &app,
        &owner,
        "alice@example.com",
        json!([account("EMPLOYEE"), {"role": "ADMIN", "scope": {"tier": "team"}, "team": team}]),
    )
    .await;
    let bob = person(
        &app,
        &owner,
        "bob@example.com",
        json!([account("EMPLOYEE"), {"role": editor, "scope": {"tier": "scope"}, "target": target}]),
    )
    .await;
    let carol = person(
        &app,
        &owner,
        "carol@example.com",
        json!([account("AUDITOR")]),
    )
    .await;
    let dave = person(
        &app,
        &owner,
        "dave@example.com",
        json!([account("EMPLOYEE"), {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": team}]),
    )
    .await;
    Fixture {
        app,
        owner,
        owner_id,
        team,
        target,
        rev,
        alice,
        bob,
        carol,
        dave,
    }
}

async fn campaign(f: &Fixture, body: Value) -> Value {
    f.app.create("/access-reviews/", &f.owner, body).await
}

async fn all_items(app: &TestApp, token: &str, campaign: &str, query: &str) -> Vec<Value> {
    let reply = app
        .get(
            &format!("/access-reviews/{campaign}/items/?length=100{query}"),
            token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["results"].as_array().unwrap().clone()
}

fn item_of<'a>(items: &'a [Value], user: &str, role: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["user"]["id"] == user && i["role"]["name"] == role)
        .unwrap_or_else(|| panic!("no {role} item for {user}: {items:?}"))
}

async fn decide(
    app: &TestApp,
    token: &str,
    campaign: &str,
    item: &str,
    body: Value,
) -> crate::helpers::Reply {
    app.post(
        &format!("/access-reviews/{campaign}/items/{item}/decision/"),
        token,
        body,
    )
    .await
}

#[actix_web::test]
async fn a_campaign_snapshots_the_assignments_of_its_scope() {
    let f = fixture().await;
    let org = campaign(
        &f,
        json!({"name": "Q4", "scope": "organization", "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    assert_eq!(org["status"], "open");
    assert_eq!(org["scope"]["type"], "organization");
    assert_eq!(org["reviewers"][0]["id"], f.rev.0.as_str());
    // owner 1, rev 1, alice 2, bob 2, carol 1, dave 2.
    assert_eq!(org["items"]["total"], 9, "{org}");
    assert_eq!(org["items"]["pending"], 9);
    let items = all_items(&f.app, &f.owner, &id(&org), "").await;
    assert_eq!(items.len(), 9);
    let team_admin = items
        .iter()
        .find(|i| i["user"]["id"] == f.alice.0.as_str() && i["scope"]["tier"] == "team")
        .unwrap();
    assert_eq!(team_admin["role"]["name"], "ADMIN");
    assert_eq!(team_admin["team"]["id"], f.team.as_str());
    assert_eq!(team_admin["team"]["name"], "Blue");
    assert_eq!(team_admin["decision"], "pending");
    assert!(
        team_admin["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("roles.grant"))
    );
    assert!(
        !team_admin["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("owner.grant"))
    );

    // A team: what is held at the team and at its targets.
    let team = campaign(
        &f,
        json!({"name": "Blue", "scope": "team", "team": f.team, "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    assert_eq!(team["scope"]["team"]["name"], "Blue");
    let items = all_items(&f.app, &f.owner, &id(&team), "").await;
    let mut who: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["user"]["email"].as_str().unwrap().to_owned(),
                i["role"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    who.sort();
    assert_eq!(
        who,
        [
            ("alice@example.com".into(), "ADMIN".into()),
            ("bob@example.com".into(), "Target editor".into()),
            ("dave@example.com".into(), "EMPLOYEE".into()),
        ]
    );
    let editor = item_of(&items, &f.bob.0, "Target editor");
    assert_eq!(editor["target"]["id"], f.target.as_str());
    assert_eq!(
        editor["permissions"],
        json!(["targets.manage", "targets.view"])
    );

    // A role, by a built-in role's name.
    let role = campaign(
        &f,
        json!({"name": "Auditors", "scope": "role", "role": "AUDITOR", "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    let items = all_items(&f.app, &f.owner, &id(&role), "").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user"]["id"], f.carol.0.as_str());

    // The snapshot survives later changes.
    let reply = f
        .app
        .patch(
            &format!("/users/{}/", f.carol.0),
            &f.owner,
            json!({"user_roles": [{"role": "VIEWER", "scope": {"tier": "account"}}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let items = all_items(&f.app, &f.owner, &id(&role), "").await;
    assert_eq!(items[0]["role"]["name"], "AUDITOR");
    assert!(
        items[0]["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("access_review.view"))
    );

    // Lists: newest first, filter by status, paged like every list.
    let reply = f
        .app
        .get("/access-reviews/?status=open&length=2", &f.owner)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], 3);
    assert_eq!(reply.body["page_total"], 2);
    assert_eq!(reply.body["results"][0]["name"], "Auditors");
    let reply = f.app.get("/access-reviews/?status=closed", &f.owner).await;
    assert_eq!(reply.body["count"], 0);
    let reply = f.app.get("/access-reviews/?status=shut", &f.owner).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["status"].is_array());
    let reply = f.app.get("/access-reviews/?page=9", &f.owner).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = f
        .app
        .get(
            &format!("/access-reviews/{}/items/?decision=maybe", id(&org)),
            &f.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = f
        .app
        .get(
            &format!("/access-reviews/{}/items/?user={}", id(&org), f.alice.0),
            &f.owner,
        )
        .await;
    assert_eq!(reply.body["count"], 2);
}

#[actix_web::test]
async fn creating_is_checked_before_it_is_validated() {
    let f = fixture().await;
    let reply = f
        .app
        .call(Method::POST, "/access-reviews/", None, Some(json!({})))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = f
        .app
        .call(Method::GET, "/access-reviews/", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // An AUDITOR sees all access but cannot revoke: it does not run campaigns.
    for token in [&f.carol.1, &f.dave.1, &f.alice.1] {
        let reply = f
            .app
            .post("/access-reviews/", token, json!({"name": ""}))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }
    let reply = f.app.post("/access-reviews/", &f.owner, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    for field in ["name", "scope", "reviewers", "due"] {
        assert!(reply.body[field].is_array(), "{field}: {}", reply.body);
    }
    let reply = f
        .app
        .post(
            "/access-reviews/",
            &f.owner,
            json!({"name": "x".repeat(256), "scope": "team", "reviewers": [],
                   "due": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    for field in ["name", "team", "reviewers", "due"] {
        assert!(reply.body[field].is_array(), "{field}: {}", reply.body);
    }
    let many: Vec<String> = (0..101).map(|_| f.rev.0.clone()).collect();
    let reply = f
        .app
        .post(
            "/access-reviews/",
            &f.owner,
            json!({"name": "x", "scope": "role", "role": "NOPE", "reviewers": many, "due": DUE}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["role"].is_array(), "{}", reply.body);
    assert!(reply.body["reviewers"].is_array(), "{}", reply.body);
    let reply = f
        .app
        .post(
            "/access-reviews/",
            &f.owner,
            json!({"name": "x", "scope": "galaxy", "reviewers": ["nope"], "due": "soon"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    for field in ["scope", "reviewers", "due"] {
        assert!(reply.body[field].is_array(), "{field}: {}", reply.body);
    }
    // Unknown and malformed ids are 404s.
    for path in [
        "/access-reviews/zzzzzzzzzzzz/",
        "/access-reviews/0/",
        "/access-reviews/zzzzzzzzzzzz/items/",
        "/access-reviews/zzzzzzzzzzzz/report/",
    ] {
        let reply = f.app.get(path, &f.owner).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn a_revoke_takes_effect_at_once_and_the_report_lists_every_decision() {
    let f = fixture().await;
    let c = campaign(
        &f,
        json!({"name": "Q4 review", "scope": "organization",
               "reviewers": [f.rev.0, {"id": f.owner_id}], "due": DUE}),
    )
    .await;
    let cid = id(&c);
    let items = all_items(&f.app, &f.owner, &cid, "").await;
    let alice_team = items
        .iter()
        .find(|i| i["user"]["id"] == f.alice.0.as_str() && i["scope"]["tier"] == "team")
        .unwrap();
    let bob_membership = item_of(&items, &f.bob.0, "EMPLOYEE");
    let owner_item = item_of(&items, &f.owner_id, "OWNER");
    let rev_item = item_of(&items, &f.rev.0, "ADMIN");

    // Before: alice manages her team.
    let team_path = format!("/teams/{}/", f.team);
    let reply = f
        .app
        .patch(&team_path, &f.alice.1, json!({"description": "before"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Not a reviewer (though it reads every campaign): 403, before validation.
    let reply = decide(
        &f.app,
        &f.carol.1,
        &cid,
        &id(alice_team),
        json!({"decision": "maybe"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // One's own item: 403.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(rev_item),
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // No power over the OWNER: revoking it is 403, even with a bad comment.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(owner_item),
        json!({"decision": "revoke", "comment": "x".repeat(3000)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // Validation.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(alice_team),
        json!({"decision": "maybe"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["decision"].is_array(), "{}", reply.body);
    let reply = decide(&f.app, &f.rev.1, &cid, &id(alice_team), json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(alice_team),
        json!({"decision": "keep", "comment": "x".repeat(2001)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["comment"].is_array(), "{}", reply.body);
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        "zzzzzzzzzzzz",
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Revoke alice's team ADMIN: her next request is refused.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(alice_team),
        json!({"decision": "revoke", "comment": "left the team"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["decision"], "revoke");
    assert_eq!(reply.body["outcome"], "removed");
    assert_eq!(reply.body["decided_by"]["email"], "rev@example.com");
    assert!(reply.body["decided"].is_string());
    let reply = f
        .app
        .patch(&team_path, &f.alice.1, json!({"description": "after"}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let user = f.app.get(&format!("/users/{}/", f.alice.0), &f.owner).await;
    assert_eq!(user.body["user_roles"].as_array().unwrap().len(), 1);
    // A decided item keeps its first decision.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(alice_team),
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // Revoking a membership role deactivates the user: its token stops working.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(bob_membership),
        json!({"decision": "revoke"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["outcome"], "deactivated");
    let reply = f.app.get("/profile/", &f.bob.1).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // Through the user-edit path: audited as such.
    let reply = f.app.get("/audit-events/?length=100", &f.owner).await;
    let events = reply.body["results"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"access_review.created"), "{actions:?}");
    assert!(actions.contains(&"access_review.decided"), "{actions:?}");
    assert!(actions.contains(&"user.deactivated"), "{actions:?}");
    assert!(
        events.iter().any(|e| e["action"] == "user.updated"
            && e["object"]["id"] == f.alice.0.as_str()
            && e["changes"]["user_roles"].is_object()),
        "{events:?}"
    );

    // Closing is refused while items are pending.
    let close = format!("/access-reviews/{cid}/close/");
    let reply = f.app.post(&close, &f.rev.1, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["non_field_errors"].is_array());
    let reply = f.app.post(&close, &f.carol.1, json!({})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // The owner decides the reviewer's own item; the reviewer keeps the rest.
    let reply = decide(
        &f.app,
        &f.owner,
        &cid,
        &id(rev_item),
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for item in all_items(&f.app, &f.owner, &cid, "&decision=pending").await {
        let reply = decide(
            &f.app,
            &f.rev.1,
            &cid,
            &id(&item),
            json!({"decision": "keep", "comment": "ok"}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let kept = all_items(&f.app, &f.owner, &cid, &format!("&reviewer={}", f.rev.0)).await;
    assert_eq!(kept.len(), 8);
    let reply = f.app.post(&close, &f.rev.1, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "closed");
    assert_eq!(reply.body["closed_by"]["email"], "rev@example.com");
    assert_eq!(reply.body["items"]["pending"], 0);
    assert_eq!(reply.body["items"]["revoke"], 2);
    let reply = f.app.post(&close, &f.rev.1, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // The report: every decision, reviewer and time, in JSON and CSV.
    let reply = f
        .app
        .get(&format!("/access-reviews/{cid}/report/"), &f.carol.1)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let items = reply.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    for item in items {
        assert_ne!(item["decision"], "pending");
        assert!(item["decided"].is_string(), "{item}");
        assert!(item["decided_by"]["email"].is_string(), "{item}");
    }
    assert_eq!(reply.body["campaign"]["status"], "closed");
    let csv = f
        .app
        .client
        .get(f.app.url(&format!("/access-reviews/{cid}/report/")))
        .header("Authorization", format!("JWT {}", f.carol.1))
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
    assert_eq!(lines.len(), 10, "{text}");
    assert!(lines[0].starts_with("campaign_id,campaign_name"));
    let alice_line = lines
        .iter()
        .find(|l| l.contains("alice@example.com") && l.contains(",team,"))
        .expect("alice's team line");
    assert!(
        alice_line.contains(",revoke,left the team,"),
        "{alice_line}"
    );
    assert!(alice_line.contains("rev@example.com"), "{alice_line}");
    assert!(alice_line.contains(",removed,"), "{alice_line}");
    let reply = f
        .app
        .get(
            &format!("/access-reviews/{cid}/report/?format=csv"),
            &f.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = f
        .app
        .get(
            &format!("/access-reviews/{cid}/report/?format=pdf"),
            &f.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Someone with no part in the campaign does not see it.
    let reply = f
        .app
        .get(&format!("/access-reviews/{cid}/report/"), &f.dave.1)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // A closed campaign takes no decision.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &cid,
        &id(alice_team),
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn team_admins_review_their_team_and_a_vanished_assignment_is_no_error() {
    let f = fixture().await;
    let owners = campaign(
        &f,
        json!({"name": "Owners", "scope": "role", "role": "OWNER", "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    let c2 = campaign(
        &f,
        json!({"name": "Team", "scope": "team", "team": f.team, "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    // The team's ADMIN sees the items held at its team (not the target's).
    let team_items = all_items(&f.app, &f.alice.1, &id(&c2), "").await;
    assert_eq!(team_items.len(), 2, "{team_items:?}");
    let dave_item = item_of(&team_items, &f.dave.0, "EMPLOYEE");
    // The assignment goes before the decision: nothing to remove, said so.
    let reply = f
        .app
        .patch(
            &format!("/users/{}/", f.dave.0),
            &f.owner,
            json!({"user_roles": [{"role": "EMPLOYEE", "scope": {"tier": "account"}}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = decide(
        &f.app,
        &f.alice.1,
        &id(&c2),
        &id(dave_item),
        json!({"decision": "revoke"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["outcome"], "already_gone");
    assert_eq!(reply.body["decided_by"]["email"], "alice@example.com");
    // Not her own item.
    let own = item_of(&team_items, &f.alice.0, "ADMIN");
    let reply = decide(
        &f.app,
        &f.alice.1,
        &id(&c2),
        &id(own),
        json!({"decision": "keep"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let reply = f.app.get("/access-reviews/", &f.alice.1).await;
    assert_eq!(reply.body["count"], 1, "{}", reply.body);
    let reply = f
        .app
        .get(&format!("/access-reviews/{}/", id(&owners)), &f.alice.1)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Reading the report takes access_review.view.
    let reply = f
        .app
        .get(&format!("/access-reviews/{}/report/", id(&c2)), &f.alice.1)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Closing takes what creating takes.
    let reply = f
        .app
        .post(
            &format!("/access-reviews/{}/close/", id(&c2)),
            &f.alice.1,
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Someone with no part in any campaign sees none.
    let reply = f.app.get("/access-reviews/", &f.bob.1).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["count"], 0);
    let reply = f
        .app
        .get(&format!("/access-reviews/{}/", id(&c2)), &f.bob.1)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn revoking_an_owner_needs_owner_power() {
    let f = fixture().await;
    let second = person(
        &f.app,
        &f.owner,
        "second@example.com",
        json!([{"role": "OWNER", "scope": {"tier": "account"}}]),
    )
    .await;
    let c = campaign(
        &f,
        json!({"name": "Owners", "scope": "role", "role": "OWNER",
               "reviewers": [second.0, f.rev.0], "due": DUE}),
    )
    .await;
    let items = all_items(&f.app, &f.owner, &id(&c), "").await;
    assert_eq!(items.len(), 2);
    let first = item_of(&items, &f.owner_id, "OWNER");
    // An ADMIN has no power over an OWNER.
    let reply = decide(
        &f.app,
        &f.rev.1,
        &id(&c),
        &id(first),
        json!({"decision": "revoke"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // Another OWNER has: the membership cannot go, so the user is deactivated.
    let reply = decide(
        &f.app,
        &second.1,
        &id(&c),
        &id(first),
        json!({"decision": "revoke"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["outcome"], "deactivated");
    let reply = f.app.get("/profile/", &f.owner).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = f.app.get("/profile/", &second.1).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[actix_web::test]
async fn campaigns_stay_within_their_organization() {
    let f = fixture().await;
    let c = campaign(
        &f,
        json!({"name": "Q4", "scope": "organization", "reviewers": [f.rev.0], "due": DUE}),
    )
    .await;
    let cid = id(&c);
    let items = all_items(&f.app, &f.owner, &cid, "").await;
    let other = f.app.second_organization("boss@other.example.com").await;
    let other_id = f.app.id_of(&other, "boss@other.example.com").await;
    for path in [
        format!("/access-reviews/{cid}/"),
        format!("/access-reviews/{cid}/items/"),
        format!("/access-reviews/{cid}/items/{}/", id(&items[0])),
        format!("/access-reviews/{cid}/report/"),
    ] {
        let reply = f.app.get(&path, &other).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    let reply = decide(
        &f.app,
        &other,
        &cid,
        &id(&items[0]),
        json!({"decision": "revoke"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = f
        .app
        .post(&format!("/access-reviews/{cid}/close/"), &other, json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = f.app.get("/access-reviews/", &other).await;
    assert_eq!(reply.body["count"], 0);
    // Another organization's user, team or role in a body: 400.
    let reply = f
        .app
        .post(
            "/access-reviews/",
            &f.owner,
            json!({"name": "x", "scope": "organization", "reviewers": [other_id], "due": DUE}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["reviewers"].is_array());
    let reply = f
        .app
        .post(
            "/access-reviews/",
            &other,
            json!({"name": "x", "scope": "team", "team": f.team, "reviewers": [other_id], "due": DUE}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["team"].is_array());
    // The other organization's own campaign holds only its own people.
    let mine = f
        .app
        .create(
            "/access-reviews/",
            &other,
            json!({"name": "Other", "scope": "organization", "reviewers": [other_id], "due": DUE}),
        )
        .await;
    assert_eq!(mine["items"]["total"], 1, "{mine}");
}
