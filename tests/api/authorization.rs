//! The authorization matrix: every built-in role and one custom role, at
//! each tier it can be granted at, against each family of endpoints. Each
//! actor is a real user who logs in with a password the test set.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

const CUSTOM: &str = "CUSTOM";

/// The families of actions, in the order of each row of expectations.
const FAMILIES: [&str; 7] = [
    "read a user",
    "edit a member of the team",
    "edit a user outside the team",
    "grant a team-tier role",
    "edit the team's target",
    "edit the team",
    "create a user",
];

/// (role, tier, expected status per family).
fn matrix() -> Vec<(&'static str, &'static str, [u16; 7])> {
    let full = [200, 200, 200, 200, 200, 200, 201];
    let team = [200, 200, 403, 200, 200, 200, 403];
    let scope = [200, 403, 403, 403, 200, 403, 403];
    let read_only = [200, 403, 403, 403, 403, 403, 403];
    vec![
        ("OWNER", "account", full),
        ("ADMIN", "account", full),
        ("ADMIN", "team", team),
        ("ADMIN", "scope", scope),
        ("EMPLOYEE", "account", read_only),
        ("EMPLOYEE", "team", read_only),
        ("EMPLOYEE", "scope", read_only),
        ("VIEWER", "account", read_only),
        ("VIEWER", "team", read_only),
        ("VIEWER", "scope", read_only),
        ("AUDITOR", "account", read_only),
        ("AUDITOR", "team", read_only),
        ("AUDITOR", "scope", read_only),
        ("BILLING", "account", read_only),
        (CUSTOM, "account", full),
        (CUSTOM, "team", team),
        (CUSTOM, "scope", scope),
    ]
}

struct Fixture {
    owner: String,
    team: String,
    target: String,
    custom_role: String,
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    app.create(path, token, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = app.owner_token().await;
    let team = created(app, &owner, "/teams/", json!({"name": "Blue"})).await;
    let target = created(
        app,
        &owner,
        "/targets/",
        json!({"name": "Shop", "url": "https://shop.example.com", "teams": [team]}),
    )
    .await;
    let custom_role = created(
        app,
        &owner,
        "/roles/",
        json!({"name": "Team manager", "permissions": [
            "users.view", "users.manage", "roles.grant", "targets.view", "targets.manage", "teams.manage"]}),
    )
    .await;
    Fixture {
        owner,
        team,
        target,
        custom_role,
    }
}

impl Fixture {
    /// The actor's roles: the role under test at its tier (as membership role
    /// when it is one at account tier, otherwise next to VIEWER).
    fn actor_roles(&self, role: &str, tier: &str) -> Value {
        let role_ref = if role == CUSTOM {
            json!({"id": self.custom_role})
        } else {
            json!(role)
        };
        let membership = ["OWNER", "ADMIN", "EMPLOYEE", "VIEWER", "AUDITOR"].contains(&role);
        match tier {
            "account" if membership => json!([{"role": role_ref}]),
            "account" => {
                json!([{"role": "VIEWER"}, {"role": role_ref, "scope": {"tier": "account"}}])
            }
            "team" => {
                json!([{"role": "VIEWER"}, {"role": role_ref, "scope": {"tier": "team"}, "team": self.team}])
            }
            _ => {
                json!([{"role": "VIEWER"}, {"role": role_ref, "scope": {"tier": "scope"}, "target": self.target}])
            }
        }
    }
}

#[actix_web::test]
async fn every_role_at_every_tier_gets_exactly_its_rights() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let mut mismatches = Vec::new();
    for (case, (role, tier, expected)) in matrix().into_iter().enumerate() {
        let email = format!("actor{case}@example.com");
        created(
            &app,
            &fx.owner,
            "/users/",
            json!({"email": email, "name": format!("Actor {case}"), "password": PASSWORD,
                   "user_roles": fx.actor_roles(role, tier)}),
        )
        .await;
        let actor = app.login(&email, PASSWORD).await;
        // Fresh objects for each actor, so no case depends on another.
        let member = created(
            &app,
            &fx.owner,
            "/users/",
            json!({"email": format!("member{case}@example.com"), "name": "Member",
                   "user_roles": [{"role": "EMPLOYEE"}, {"role": "VIEWER", "scope": {"tier": "team"}, "team": fx.team}]}),
        )
        .await;
        let outsider = created(
            &app,
            &fx.owner,
            "/users/",
            json!({"email": format!("outsider{case}@example.com"), "name": "Outsider"}),
        )
        .await;
        let statuses = [
            app.get(&format!("/users/{outsider}/"), &actor).await.status,
            app.patch(&format!("/users/{member}/"), &actor, json!({"position": "Engineer"})).await.status,
            app.patch(&format!("/users/{outsider}/"), &actor, json!({"position": "Engineer"})).await.status,
            app.patch(
                &format!("/users/{outsider}/"),
                &actor,
                json!({"user_roles": [{"role": "EMPLOYEE"},
                                      {"role": "EMPLOYEE", "scope": {"tier": "team"}, "team": fx.team}]}),
            )
            .await
            .status,
            app.patch(&format!("/targets/{}/", fx.target), &actor, json!({"name": format!("Shop {case}")}))
                .await
                .status,
            app.patch(&format!("/teams/{}/", fx.team), &actor, json!({"description": format!("Case {case}")}))
                .await
                .status,
            app.post(
                "/users/",
                &actor,
                json!({"email": format!("new{case}@example.com"), "name": "New"}),
            )
            .await
            .status,
        ];
        for ((family, want), got) in FAMILIES.iter().zip(expected).zip(statuses) {
            if got.as_u16() != want {
                mismatches.push(format!(
                    "{role} at {tier} tier, {family}: expected {want}, got {got}"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "authorization mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[actix_web::test]
async fn team_tier_managers_cannot_escalate() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    created(
        &app,
        &fx.owner,
        "/users/",
        json!({"email": "lead@example.com", "name": "Lead", "password": PASSWORD,
               "user_roles": fx.actor_roles("ADMIN", "team")}),
    )
    .await;
    let lead = app.login("lead@example.com", PASSWORD).await;
    let member = created(
        &app,
        &fx.owner,
        "/users/",
        json!({"email": "m@example.com", "name": "M",
               "user_roles": [{"role": "EMPLOYEE"}, {"role": "VIEWER", "scope": {"tier": "team"}, "team": fx.team}]}),
    )
    .await;
    // An account-tier role, even for a member of its team: 403.
    let escalate = app
        .patch(
            &format!("/users/{member}/"),
            &lead,
            json!({"user_roles": [{"role": "ADMIN"}, {"role": "VIEWER", "scope": {"tier": "team"}, "team": fx.team}]}),
        )
        .await;
    assert_eq!(escalate.status, StatusCode::FORBIDDEN, "{}", escalate.body);
    // Moving the team's target to another team is organization-wide: 403.
    let other_team = created(&app, &fx.owner, "/teams/", json!({"name": "Red"})).await;
    let moved = app
        .patch(
            &format!("/targets/{}/", fx.target),
            &lead,
            json!({"teams": [other_team]}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN, "{}", moved.body);
    // Deleting the team, or a user, is organization-wide: 403.
    assert_eq!(
        app.delete(&format!("/teams/{}/", fx.team), &lead)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("/users/{member}/"), &lead).await.status,
        StatusCode::FORBIDDEN
    );
    // Removing the member's team role is within its team: 200.
    let removed = app
        .patch(
            &format!("/users/{member}/"),
            &lead,
            json!({"user_roles": [{"role": "EMPLOYEE"}]}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    // Now outside the team, the user is beyond the lead's reach.
    let edit = app
        .patch(
            &format!("/users/{member}/"),
            &lead,
            json!({"position": "x"}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
}
