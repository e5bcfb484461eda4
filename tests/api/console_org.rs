//! The console's organization pages (issue #23): teams, targets, labels,
//! roles, API users, invitations, webhooks and single sign-on. For each:
//! the page and its forms work through the service (checked on the REST
//! API), a form without the session's CSRF token is refused, a stranger is
//! sent to sign in, a VIEWER sees the pages read-only and a forged write
//! of theirs is refused, another organization's ids are not found; and
//! every page in a real Chromium with axe-core
//! (`tests/oidc/console-pages.mjs`), a team created by keyboard alone.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Browser, Page, assert_no_inline_code, assert_secured, screenshot_dir};
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, TestApp, spawn_app};
use crate::sso::{chromium, npm_ci, provider_dir};

/// Write forms a page offers (signing out is one of them).
fn post_forms(page: &Page) -> usize {
    page.body.matches(r#"method="post""#).count()
}

/// The id at the end of a `Location` such as `/console/teams/{id}?done=created`.
fn id_in(page: &Page, prefix: &str) -> String {
    let location = page
        .location()
        .unwrap_or_else(|| panic!("a redirect: {}", page.body));
    let rest = location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} under {prefix}"));
    rest.split('?').next().unwrap().to_owned()
}

/// A page that must be served, secured and free of inline code. URLs it
/// shows as data (a target's, a webhook's) are fine; nothing it links to,
/// loads or posts to is outside.
async fn open(browser: &mut Browser<'_>, path: &str) -> Page {
    let mut page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    assert_secured(&page, path);
    for attribute in ["src=\"http", "href=\"http", "action=\"http"] {
        assert!(!page.body.contains(attribute), "{path}: {attribute}");
    }
    let body = page.body.clone();
    page.body = body
        .replace("http://", "shown:")
        .replace("https://", "shown:");
    assert_no_inline_code(&page, path);
    page.body = body;
    page
}

/// A form refused without (or with a wrong) CSRF token, then sent with it.
async fn refused_without_csrf(browser: &mut Browser<'_>, path: &str, form: &[(&str, &str)]) {
    for token in ["", "nope"] {
        let mut fields = vec![("csrf", token)];
        fields.extend_from_slice(form);
        let forged = browser.post(path, &fields).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{path} csrf {token:?}"
        );
        assert_secured(&forged, "CSRF refusal");
    }
}

async fn send(browser: &mut Browser<'_>, path: &str, csrf: &str, form: &[(&str, &str)]) -> Page {
    let mut fields = vec![("csrf", csrf)];
    fields.extend_from_slice(form);
    browser.post(path, &fields).await
}

async fn rest(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let reply = app.get(path, token).await;
    (reply.status, reply.body)
}

/// Every page and form of the organization section: none answers a
/// stranger; each sends them to sign in.
#[actix_web::test]
async fn a_stranger_is_sent_to_sign_in_from_every_page_and_form() {
    let app = spawn_app().await;
    let mut stranger = Browser::new(&app);
    let id = "AbCdEfGh1234";
    for path in [
        "/console/teams",
        "/console/teams/new",
        &format!("/console/teams/{id}"),
        "/console/targets",
        "/console/targets/new",
        &format!("/console/targets/{id}"),
        "/console/labels",
        "/console/labels/new",
        &format!("/console/labels/{id}"),
        "/console/roles",
        "/console/roles/new",
        &format!("/console/roles/{id}"),
        "/console/api-users",
        "/console/api-users/new",
        &format!("/console/api-users/{id}"),
        "/console/invitations",
        "/console/webhooks",
        "/console/webhooks/new",
        &format!("/console/webhooks/{id}"),
        &format!("/console/webhooks/{id}/edit"),
        "/console/sso-connections",
        "/console/sso-connections/new",
        &format!("/console/sso-connections/{id}"),
        &format!("/console/sso-connections/{id}/edit"),
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(page.location(), Some("/console/sign-in"), "GET {path}");
    }
    for path in [
        "/console/teams",
        &format!("/console/teams/{id}"),
        &format!("/console/teams/{id}/delete"),
        "/console/targets",
        &format!("/console/targets/{id}"),
        &format!("/console/targets/{id}/delete"),
        "/console/labels",
        &format!("/console/labels/{id}"),
        &format!("/console/labels/{id}/delete"),
        "/console/roles",
        &format!("/console/roles/{id}"),
        &format!("/console/roles/{id}/delete"),
        "/console/api-users",
        &format!("/console/api-users/{id}/active"),
        &format!("/console/api-users/{id}/keys"),
        &format!("/console/api-users/{id}/keys/{id}/revoke"),
        "/console/invitations/resend",
        &format!("/console/invitations/{id}/revoke"),
        "/console/webhooks",
        &format!("/console/webhooks/{id}"),
        &format!("/console/webhooks/{id}/delete"),
        &format!("/console/webhooks/{id}/deliveries/{id}/redeliver"),
        "/console/sso-connections",
        &format!("/console/sso-connections/{id}"),
        &format!("/console/sso-connections/{id}/active"),
        &format!("/console/sso-connections/{id}/delete"),
    ] {
        let page = stranger.post(path, &[("csrf", "x"), ("name", "x")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(page.location(), Some("/console/sign-in"), "POST {path}");
    }
}

#[actix_web::test]
async fn an_admin_creates_renames_and_deletes_a_team_and_sees_its_members() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let people = open(&mut admin, "/console/people").await;
    assert!(
        people.body.contains(r#"href="/console/teams""#),
        "nav offers teams"
    );
    let list = open(&mut admin, "/console/teams").await;
    assert!(list.body.contains(r#"href="/console/teams/new""#));
    let form = open(&mut admin, "/console/teams/new").await;
    let csrf = form.csrf();
    refused_without_csrf(&mut admin, "/console/teams", &[("name", "Blue")]).await;
    let blank = send(&mut admin, "/console/teams", &csrf, &[("name", "  ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains(r#"id="name-error""#), "{}", blank.body);
    assert_no_inline_code(&blank, "refused team");

    let made = send(
        &mut admin,
        "/console/teams",
        &csrf,
        &[("name", "Blue team"), ("description", "The blue one")],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = id_in(&made, "/console/teams/");
    let (status, team) = rest(&app, &owner, &format!("/teams/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(team["name"], "Blue team");
    assert_eq!(team["description"], "The blue one");

    // A member with a role at the team shows on its page, with the role.
    app.create(
        "/users/",
        &owner,
        json!({"email": "tm@example.com", "name": "Tess Member", "user_roles": [
            {"role": "EMPLOYEE", "scope": {"tier": "account"}},
            {"role": "ADMIN", "scope": {"tier": "team"}, "team": id},
        ]}),
    )
    .await;
    let page = open(&mut admin, &format!("/console/teams/{id}?done=created")).await;
    assert!(page.body.contains("Created."));
    assert!(page.body.contains("tm@example.com"), "{}", page.body);
    assert!(
        page.body
            .contains("<td data-label=\"Roles here\">ADMIN</td>")
    );
    // Two roles there count once; an API user with a role there is not a
    // person; a team without anyone counts 0 (one query for the page).
    app.create(
        "/users/",
        &owner,
        json!({"email": "tm2@example.com", "name": "Tom Member", "user_roles": [
            {"role": "EMPLOYEE", "scope": {"tier": "account"}},
            {"role": "ADMIN", "scope": {"tier": "team"}, "team": id},
            {"role": "VIEWER", "scope": {"tier": "team"}, "team": id},
        ]}),
    )
    .await;
    app.create(
        "/api-users/",
        &owner,
        json!({"name": "bot", "email": "bot@example.com", "user_roles": [
            {"role": "EMPLOYEE", "scope": {"tier": "account"}},
            {"role": "VIEWER", "scope": {"tier": "team"}, "team": id},
        ]}),
    )
    .await;
    app.create("/teams/", &owner, json!({"name": "Blue empty"}))
        .await;
    let list = open(&mut admin, "/console/teams?q=blue").await;
    assert!(list.body.contains("Blue team"));
    assert!(
        list.body.contains("<td data-label=\"Members\">2</td>"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("<td data-label=\"Members\">0</td>"),
        "{}",
        list.body
    );

    refused_without_csrf(
        &mut admin,
        &format!("/console/teams/{id}"),
        &[("name", "X")],
    )
    .await;
    let renamed = send(
        &mut admin,
        &format!("/console/teams/{id}"),
        &csrf,
        &[("name", "Green team"), ("description", "")],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let (_, team) = rest(&app, &owner, &format!("/teams/{id}/")).await;
    assert_eq!(team["name"], "Green team");

    refused_without_csrf(&mut admin, &format!("/console/teams/{id}/delete"), &[]).await;
    let gone = send(
        &mut admin,
        &format!("/console/teams/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(gone.location(), Some("/console/teams?done=deleted"));
    let (status, _) = rest(&app, &owner, &format!("/teams/{id}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let events = app.get("/audit-events/?action=team.deleted", &owner).await;
    assert_eq!(
        events.body["results"][0]["interface"], "console",
        "{}",
        events.body
    );
}

#[actix_web::test]
async fn an_admin_manages_targets_and_their_teams() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = app.create("/teams/", &owner, json!({"name": "Ops"})).await;
    let team = team["id"].as_str().unwrap().to_owned();
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    open(&mut admin, "/console/targets").await;
    let form = open(&mut admin, "/console/targets/new").await;
    assert!(
        form.body.contains(&format!(r#"id="team-{team}""#)),
        "teams offered"
    );
    let csrf = form.csrf();
    refused_without_csrf(&mut admin, "/console/targets", &[("name", "Web")]).await;
    let bad = send(
        &mut admin,
        "/console/targets",
        &csrf,
        &[
            ("name", "Web"),
            ("url", "not a url"),
            ("teams_offered", "1"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains(r#"id="url-error""#), "{}", bad.body);
    let made = send(
        &mut admin,
        "/console/targets",
        &csrf,
        &[
            ("name", "Web app"),
            ("url", "https://app.example.com"),
            ("teams_offered", "1"),
            ("teams", &team),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = id_in(&made, "/console/targets/");
    let (_, target) = rest(&app, &owner, &format!("/targets/{id}/")).await;
    assert_eq!(target["name"], "Web app");
    assert_eq!(target["teams"], json!([team]), "{target}");
    let page = open(&mut admin, &format!("/console/targets/{id}")).await;
    assert!(page.body.contains("https://app.example.com") || page.body.contains("app.example.com"));
    // Renamed, taken out of its team.
    let saved = send(
        &mut admin,
        &format!("/console/targets/{id}"),
        &csrf,
        &[("name", "Web app 2"), ("teams_offered", "1")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, target) = rest(&app, &owner, &format!("/targets/{id}/")).await;
    assert_eq!(target["name"], "Web app 2");
    assert_eq!(target["teams"], json!([]), "{target}");
    refused_without_csrf(&mut admin, &format!("/console/targets/{id}/delete"), &[]).await;
    let gone = send(
        &mut admin,
        &format!("/console/targets/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let (status, _) = rest(&app, &owner, &format!("/targets/{id}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_admin_creates_renames_and_deletes_a_label() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let form = open(&mut admin, "/console/labels/new").await;
    let csrf = form.csrf();
    refused_without_csrf(&mut admin, "/console/labels", &[("name", "VIP")]).await;
    let made = send(
        &mut admin,
        "/console/labels",
        &csrf,
        &[("name", "VIP"), ("color", "#FF0000")],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.location(), Some("/console/labels?done=created"));
    let labels = app.get("/labels/users/", &owner).await;
    let id = labels.body["results"][0]["id"].as_str().unwrap().to_owned();
    let list = open(&mut admin, "/console/labels?done=created").await;
    assert!(list.body.contains("VIP") && list.body.contains("#FF0000"));
    // A second label of the same name: the service's message beside the field.
    let taken = send(&mut admin, "/console/labels", &csrf, &[("name", "vip")]).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("already exists"), "{}", taken.body);
    assert!(taken.body.contains(r#"id="name-error""#));
    open(&mut admin, &format!("/console/labels/{id}")).await;
    refused_without_csrf(
        &mut admin,
        &format!("/console/labels/{id}"),
        &[("name", "X")],
    )
    .await;
    let renamed = send(
        &mut admin,
        &format!("/console/labels/{id}"),
        &csrf,
        &[("name", "Very important"), ("color", "")],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let (_, label) = rest(&app, &owner, &format!("/labels/users/{id}/")).await;
    assert_eq!(label["name"], "Very important");
    let gone = send(
        &mut admin,
        &format!("/console/labels/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let (status, _) = rest(&app, &owner, &format!("/labels/users/{id}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn roles_show_their_permissions_and_custom_ones_are_edited_with_checkboxes() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let list = open(&mut admin, "/console/roles").await;
    assert!(list.body.contains("AUDITOR") && list.body.contains("audit.view"));
    // A built-in role is read-only.
    let auditor = open(&mut admin, "/console/roles/RoLeauditorX").await;
    assert_eq!(
        post_forms(&auditor),
        1,
        "only signing out: {}",
        auditor.body
    );
    assert!(auditor.body.contains("Read audit events."));

    let form = open(&mut admin, "/console/roles/new").await;
    assert!(form.body.contains(r#"value="labels.manage""#));
    assert!(form.body.contains("Create, update and delete labels."));
    assert!(!form.body.contains(r#"value="owner.grant""#), "reserved");
    let csrf = form.csrf();
    refused_without_csrf(&mut admin, "/console/roles", &[("name", "Curator")]).await;
    let made = send(
        &mut admin,
        "/console/roles",
        &csrf,
        &[
            ("name", "Curator"),
            ("description", "Keeps labels tidy"),
            ("permissions", "users.view"),
            ("permissions", "labels.manage"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = id_in(&made, "/console/roles/");
    let (_, role) = rest(&app, &owner, &format!("/roles/{id}/")).await;
    assert_eq!(role["permissions"], json!(["users.view", "labels.manage"]));
    let page = open(&mut admin, &format!("/console/roles/{id}")).await;
    assert!(page.body.contains(r#"id="perm-labels.manage" name="permissions" value="labels.manage" type="checkbox" checked"#), "{}", page.body);
    let bad = send(
        &mut admin,
        &format!("/console/roles/{id}"),
        &csrf,
        &[("name", "Curator"), ("permissions", "owner.grant")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="permissions-error""#),
        "{}",
        bad.body
    );
    let saved = send(
        &mut admin,
        &format!("/console/roles/{id}"),
        &csrf,
        &[("name", "Curator"), ("permissions", "users.view")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, role) = rest(&app, &owner, &format!("/roles/{id}/")).await;
    assert_eq!(role["permissions"], json!(["users.view"]));
    // Held by someone: not deleted, said why.
    app.create(
        "/users/",
        &owner,
        json!({"email": "c@example.com", "name": "Cura", "user_roles": [
            {"role": "EMPLOYEE", "scope": {"tier": "account"}},
            {"role": id, "scope": {"tier": "account"}},
        ]}),
    )
    .await;
    let held = send(
        &mut admin,
        &format!("/console/roles/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(held.status, StatusCode::BAD_REQUEST);
    assert!(held.body.contains("1 user holds it"), "{}", held.body);
    let builtin = send(&mut admin, "/console/roles/RoLeauditorX/delete", &csrf, &[]).await;
    assert_eq!(builtin.status, StatusCode::BAD_REQUEST);
    assert!(builtin.body.contains("read-only"));
}

#[actix_web::test]
async fn an_api_user_is_created_with_a_key_shown_once_and_deactivated() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let form = open(&mut admin, "/console/api-users/new").await;
    let csrf = form.csrf();
    refused_without_csrf(
        &mut admin,
        "/console/api-users",
        &[
            ("name", "CI"),
            ("email", "ci@example.com"),
            ("key_name", "k"),
        ],
    )
    .await;
    let bad = send(
        &mut admin,
        "/console/api-users",
        &csrf,
        &[("name", "CI"), ("email", "nope"), ("key_name", "")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains(r#"id="email-error""#) && bad.body.contains(r#"id="key_name-error""#)
    );
    let made = send(
        &mut admin,
        "/console/api-users",
        &csrf,
        &[
            ("name", "CI bot"),
            ("email", "ci@example.com"),
            ("key_name", "deploy"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_secured(&made, "secret page");
    assert_no_inline_code(&made, "secret page");
    let marker = r#"id="key-secret">"#;
    let start = made.body.find(marker).expect("the secret, once") + marker.len();
    let secret = made.body[start..start + made.body[start..].find('<').unwrap()].to_owned();
    let who = app.get("/profile/", &secret).await;
    assert_eq!(who.status, StatusCode::OK, "the key works: {}", who.body);
    let id = who.body["id"].as_str().unwrap().to_owned();
    // Never again: not on its page, not in the list.
    let page = open(&mut admin, &format!("/console/api-users/{id}")).await;
    assert!(!page.body.contains(&secret));
    assert!(page.body.contains("deploy"));
    let list = open(&mut admin, "/console/api-users").await;
    assert!(list.body.contains("ci@example.com") && !list.body.contains(&secret));
    // A second key, shown once too.
    let second = send(
        &mut admin,
        &format!("/console/api-users/{id}/keys"),
        &csrf,
        &[("name", "backup")],
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.body.contains(r#"id="key-secret""#));

    refused_without_csrf(
        &mut admin,
        &format!("/console/api-users/{id}/active"),
        &[("active", "false")],
    )
    .await;
    let off = send(
        &mut admin,
        &format!("/console/api-users/{id}/active"),
        &csrf,
        &[("active", "false")],
    )
    .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    let (_, user) = rest(&app, &owner, &format!("/api-users/{id}/")).await;
    assert_eq!(user["active"], false);
    assert_eq!(
        app.get("/profile/", &secret).await.status,
        StatusCode::UNAUTHORIZED,
        "deactivation ends its keys"
    );
}

#[actix_web::test]
async fn invitations_are_listed_by_state_and_resent() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let user = app
        .create(
            "/users/",
            &owner,
            json!({"email": "inv@example.com", "name": "Ivy"}),
        )
        .await;
    let user = user["id"].as_str().unwrap().to_owned();
    let first = app
        .post("/invitations/", &owner, json!({"user": user}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let list = open(&mut admin, "/console/invitations?state=PENDING").await;
    assert!(list.body.contains("inv@example.com"), "{}", list.body);
    let accepted = open(&mut admin, "/console/invitations?state=ACCEPTED").await;
    assert!(!accepted.body.contains("inv@example.com"));
    let csrf = list.csrf();
    refused_without_csrf(
        &mut admin,
        "/console/invitations/resend",
        &[("user", &user)],
    )
    .await;
    let resent = send(
        &mut admin,
        "/console/invitations/resend",
        &csrf,
        &[("user", &user)],
    )
    .await;
    // No mail in the tests: the link is shown once.
    assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
    assert!(resent.body.contains(r#"id="invitation-link""#));
    let superseded = open(&mut admin, "/console/invitations?state=SUPERSEDED").await;
    assert!(
        superseded.body.contains("inv@example.com"),
        "the first one is replaced"
    );
    let listed = app.get("/invitations/?status=PENDING", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);

    // The pending one is revoked from the list.
    let pending = listed.body["results"][0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("/console/invitations/{pending}/revoke");
    let list = open(&mut admin, "/console/invitations?state=PENDING").await;
    assert!(
        list.body.contains(&format!(r#"action="{revoke}""#)),
        "{}",
        list.body
    );
    refused_without_csrf(&mut admin, &revoke, &[]).await;
    let revoked = send(&mut admin, &revoke, &list.csrf(), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(
        revoked.location(),
        Some("/console/invitations?done=revoked")
    );
    let list = open(&mut admin, "/console/invitations?state=REVOKED").await;
    assert!(list.body.contains("inv@example.com"), "{}", list.body);
    assert!(
        !list.body.contains(&revoke),
        "a revoked one is not offered again"
    );
    let (_, got) = rest(&app, &owner, &format!("/invitations/{pending}/")).await;
    assert_eq!(got["status"], "REVOKED");
    // Twice: the page says why nothing happened.
    let again = send(&mut admin, &revoke, &list.csrf(), &[]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again
            .body
            .contains("Only a PENDING invitation can be revoked.")
    );
}

#[actix_web::test]
async fn a_webhook_is_created_with_a_secret_shown_once_edited_and_its_deliveries_shown() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let form = open(&mut admin, "/console/webhooks/new").await;
    let csrf = form.csrf();
    let url = "https://hooks.example.com/tessera";
    refused_without_csrf(
        &mut admin,
        "/console/webhooks",
        &[("url", url), ("events", "*")],
    )
    .await;
    let bad = send(&mut admin, "/console/webhooks", &csrf, &[("url", url)]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains(r#"id="events-error""#), "{}", bad.body);
    let made = send(
        &mut admin,
        "/console/webhooks",
        &csrf,
        &[("url", url), ("events", "label.*"), ("active", "on")],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains(r#"id="webhook-secret""#));
    let hooks = app.get("/webhooks/", &owner).await;
    let id = hooks.body["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(hooks.body["results"][0]["events"], json!(["label.*"]));
    // An event queues a delivery, shown on the webhook's page.
    app.create("/labels/users/", &owner, json!({"name": "Hooked"}))
        .await;
    let page = open(&mut admin, &format!("/console/webhooks/{id}")).await;
    assert!(page.body.contains("label.created"), "{}", page.body);
    assert!(page.body.contains("Set (never shown)"));
    // A delivery is sent again from the page: a second one of the same event.
    let listed = app
        .get(&format!("/webhooks/{id}/deliveries/"), &owner)
        .await;
    let delivery = listed.body["results"][0]["id"].as_str().unwrap().to_owned();
    let redeliver = format!("/console/webhooks/{id}/deliveries/{delivery}/redeliver");
    assert!(page.body.contains(&format!(r#"action="{redeliver}""#)));
    refused_without_csrf(&mut admin, &redeliver, &[]).await;
    let again = send(&mut admin, &redeliver, &csrf, &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(
        again.location(),
        Some(format!("/console/webhooks/{id}?done=redelivered").as_str())
    );
    let listed = app
        .get(&format!("/webhooks/{id}/deliveries/"), &owner)
        .await;
    assert_eq!(listed.body["count"], 2, "{}", listed.body);
    assert_eq!(
        listed.body["results"][0]["event_id"],
        listed.body["results"][1]["event_id"]
    );
    open(&mut admin, &format!("/console/webhooks/{id}/edit")).await;
    refused_without_csrf(
        &mut admin,
        &format!("/console/webhooks/{id}"),
        &[("url", url)],
    )
    .await;
    let saved = send(
        &mut admin,
        &format!("/console/webhooks/{id}"),
        &csrf,
        &[
            ("url", url),
            ("events", "team.created"),
            ("events", "user.*"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, hook) = rest(&app, &owner, &format!("/webhooks/{id}/")).await;
    assert_eq!(hook["events"], json!(["team.created", "user.*"]));
    assert_eq!(hook["active"], false, "unticked: paused");
    let gone = send(
        &mut admin,
        &format!("/console/webhooks/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let (status, _) = rest(&app, &owner, &format!("/webhooks/{id}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn single_sign_on_connections_are_made_edited_switched_and_deleted() {
    use crate::saml::Idp;
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let idp = Idp::start();
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let form = admin.get("/console/sso-connections/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_secured(&form, "sso form");
    assert!(
        form.body
            .contains(r#"<option value="RoLemp1oyeeX" selected>"#),
        "people it creates are EMPLOYEEs unless chosen otherwise: {}",
        form.body
    );
    let csrf = form.csrf();
    let saml = [
        ("protocol", "saml"),
        ("name", "Corp"),
        ("domains", "corp.example, corp2.example"),
        ("redirect_uri", "https://app.example.com/after"),
        ("enforcement", "optional"),
        ("default_role", "RoLemp1oyeeX"),
        ("jit", "on"),
        ("active", "on"),
        ("saml.idp_metadata_url", idp.metadata_url.as_str()),
        ("saml.name_id_format", "persistent"),
    ];
    refused_without_csrf(&mut admin, "/console/sso-connections", &saml).await;
    // An OIDC issuer that does not answer: the message beside its field.
    let oidc = send(
        &mut admin,
        "/console/sso-connections",
        &csrf,
        &[
            ("protocol", "oidc"),
            ("name", "Broken"),
            ("domains", "broken.example"),
            ("redirect_uri", "https://app.example.com/after"),
            ("oidc.issuer", "https://127.0.0.1:9/"),
            ("oidc.client_id", "tessera"),
        ],
    )
    .await;
    assert_eq!(oidc.status, StatusCode::BAD_REQUEST, "{}", oidc.body);
    assert!(
        oidc.body.contains(r#"id="oidc-issuer-error""#),
        "{}",
        oidc.body
    );
    let made = send(&mut admin, "/console/sso-connections", &csrf, &saml).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = id_in(&made, "/console/sso-connections/");
    let (_, connection) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    assert_eq!(
        connection["domains"],
        json!(["corp.example", "corp2.example"])
    );
    assert_eq!(connection["jit"], true);
    let page = admin.get(&format!("/console/sso-connections/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page, "connection page");
    assert!(
        page.body.contains("Signing key</dt><dd>Set (never shown)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("PRIVATE KEY"));
    let edit = admin
        .get(&format!("/console/sso-connections/{id}/edit"))
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    let renamed = send(
        &mut admin,
        &format!("/console/sso-connections/{id}"),
        &csrf,
        &[
            ("name", "Corp IdP"),
            ("enforcement", "required"),
            ("default_role", "RoLemp1oyeeX"),
            ("active", "on"),
            ("saml.name_id_format", "persistent"),
        ],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let (_, connection) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    assert_eq!(connection["name"], "Corp IdP");
    assert_eq!(connection["enforcement"], "required");
    assert_eq!(connection["jit"], false, "unticked");
    assert_eq!(connection["group_mapping"], json!([]));

    // Group rules, one a line: a membership role, and a role at a team.
    let team = app.create("/teams/", &owner, json!({"name": "Ops"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fn edit_fields(mapping: &str) -> Vec<(&str, &str)> {
        vec![
            ("name", "Corp IdP"),
            ("enforcement", "required"),
            ("default_role", "RoLemp1oyeeX"),
            ("active", "on"),
            ("saml.name_id_format", "persistent"),
            ("group_mapping", mapping),
        ]
    }
    let rules = format!("engineers = VIEWER\n\n ops = ADMIN @ {team} \n");
    let mapped = send(
        &mut admin,
        &format!("/console/sso-connections/{id}"),
        &csrf,
        &edit_fields(&rules),
    )
    .await;
    assert_eq!(mapped.status, StatusCode::SEE_OTHER, "{}", mapped.body);
    let (_, connection) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    let mapping = connection["group_mapping"].as_array().unwrap();
    assert_eq!(mapping.len(), 2, "{connection}");
    assert_eq!(mapping[0]["group"], "engineers");
    assert_eq!(mapping[1]["group"], "ops");
    assert_eq!(mapping[1]["team"], team.as_str());
    let page = admin.get(&format!("/console/sso-connections/{id}")).await;
    assert!(page.body.contains("engineers = VIEWER"), "{}", page.body);
    let edit = admin
        .get(&format!("/console/sso-connections/{id}/edit"))
        .await;
    assert!(
        edit.body.contains(&format!(
            "engineers = VIEWER\nops = ADMIN @ {team}</textarea>"
        )),
        "{}",
        edit.body
    );
    // A line without a role, or a role that does not exist: said beside the
    // field, and nothing changes.
    for bad in ["just-a-group", "people = NO_SUCH_ROLE"] {
        let refused = send(
            &mut admin,
            &format!("/console/sso-connections/{id}"),
            &csrf,
            &edit_fields(bad),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            refused.body
        );
        assert!(
            refused.body.contains(r#"id="group_mapping-error""#),
            "{bad}: {}",
            refused.body
        );
        assert!(
            refused.body.contains(bad),
            "the text is kept: {}",
            refused.body
        );
    }
    let (_, connection) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    assert_eq!(connection["group_mapping"].as_array().unwrap().len(), 2);
    assert_eq!(
        connection["domains"],
        json!(["corp.example", "corp2.example"]),
        "kept"
    );
    refused_without_csrf(
        &mut admin,
        &format!("/console/sso-connections/{id}/active"),
        &[("active", "false")],
    )
    .await;
    let off = send(
        &mut admin,
        &format!("/console/sso-connections/{id}/active"),
        &csrf,
        &[("active", "false")],
    )
    .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    let (_, connection) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    assert_eq!(connection["active"], false);
    let on = send(
        &mut admin,
        &format!("/console/sso-connections/{id}/active"),
        &csrf,
        &[("active", "true")],
    )
    .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    let gone = send(
        &mut admin,
        &format!("/console/sso-connections/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let (status, _) = rest(&app, &owner, &format!("/sso/connections/{id}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The ids of one object of each kind the organization pages show.
struct Objects {
    team: String,
    target: String,
    label: String,
    role: String,
    api_user: String,
}

/// Makes a team, a target, a label, a custom role and an API user with
/// these names, in that order.
async fn objects(app: &TestApp, owner: &str, names: [&str; 5]) -> Objects {
    let [team, target, label, role, bot] = names;
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    Objects {
        team: id(app.create("/teams/", owner, json!({"name": team})).await),
        target: id(app
            .create("/targets/", owner, json!({"name": target}))
            .await),
        label: id(app
            .create("/labels/users/", owner, json!({"name": label}))
            .await),
        role: id(app
            .create(
                "/roles/",
                owner,
                json!({"name": role, "permissions": ["users.view"]}),
            )
            .await),
        api_user: id(app
            .create(
                "/api-users/",
                owner,
                json!({"name": bot, "email": "bot@example.com"}),
            )
            .await),
    }
}

/// What a VIEWER may read is shown without a single write form; what
/// they may not read is neither offered nor served; a forged write with
/// their own valid CSRF token is refused and changes nothing.
#[actix_web::test]
async fn a_viewer_sees_the_organization_read_only_and_cannot_write() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let Objects {
        team,
        target,
        label,
        role,
        api_user,
    } = objects(&app, &owner, ["Ops", "Site", "VIP", "Reader", "Bot"]).await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let people = open(&mut viewer, "/console/people").await;
    for offered in ["teams", "targets", "labels", "roles", "api-users"] {
        assert!(
            people
                .body
                .contains(&format!(r#"href="/console/{offered}""#)),
            "{offered}"
        );
    }
    for hidden in ["invitations", "webhooks", "sso-connections"] {
        assert!(
            !people
                .body
                .contains(&format!(r#"href="/console/{hidden}""#)),
            "{hidden}"
        );
        let page = viewer.get(&format!("/console/{hidden}")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{hidden}");
    }
    for path in [
        "/console/teams".to_owned(),
        format!("/console/teams/{team}"),
        "/console/targets".to_owned(),
        format!("/console/targets/{target}"),
        "/console/labels".to_owned(),
        format!("/console/labels/{label}"),
        "/console/roles".to_owned(),
        format!("/console/roles/{role}"),
        "/console/api-users".to_owned(),
        format!("/console/api-users/{api_user}"),
    ] {
        let page = open(&mut viewer, &path).await;
        assert_eq!(
            post_forms(&page),
            1,
            "{path} offers only signing out: {}",
            page.body
        );
        assert!(!page.body.contains("/new\""), "{path}: nothing to create");
    }
    for path in [
        "/console/teams/new",
        "/console/targets/new",
        "/console/labels/new",
        "/console/roles/new",
        "/console/api-users/new",
    ] {
        assert_eq!(
            viewer.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let csrf = viewer.get("/console/teams").await.csrf();
    let forged: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/console/teams".into(), vec![("name", "Forged")]),
        (format!("/console/teams/{team}"), vec![("name", "Forged")]),
        (format!("/console/teams/{team}/delete"), vec![]),
        ("/console/targets".into(), vec![("name", "Forged")]),
        (
            format!("/console/targets/{target}"),
            vec![("name", "Forged")],
        ),
        (format!("/console/targets/{target}/delete"), vec![]),
        ("/console/labels".into(), vec![("name", "Forged")]),
        (format!("/console/labels/{label}"), vec![("name", "Forged")]),
        (format!("/console/labels/{label}/delete"), vec![]),
        (
            "/console/roles".into(),
            vec![("name", "Forged"), ("permissions", "users.view")],
        ),
        (format!("/console/roles/{role}"), vec![("name", "Forged")]),
        (format!("/console/roles/{role}/delete"), vec![]),
        (
            "/console/api-users".into(),
            vec![("name", "F"), ("email", "f@example.com")],
        ),
        (
            format!("/console/api-users/{api_user}/active"),
            vec![("active", "false")],
        ),
        (
            format!("/console/api-users/{api_user}/keys"),
            vec![("name", "stolen")],
        ),
        (
            "/console/invitations/resend".into(),
            vec![("user", &api_user)],
        ),
        (
            "/console/webhooks".into(),
            vec![("url", "https://x.example.com"), ("events", "*")],
        ),
        (
            "/console/sso-connections".into(),
            vec![("name", "F"), ("domains", "f.example")],
        ),
    ];
    for (path, form) in &forged {
        let answer = send(&mut viewer, path, &csrf, form).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let (_, t) = rest(&app, &owner, &format!("/teams/{team}/")).await;
    assert_eq!(t["name"], "Ops");
    let (_, l) = rest(&app, &owner, &format!("/labels/users/{label}/")).await;
    assert_eq!(l["name"], "VIP");
    let (_, r) = rest(&app, &owner, &format!("/roles/{role}/")).await;
    assert_eq!(r["name"], "Reader");
    let (_, u) = rest(&app, &owner, &format!("/api-users/{api_user}/")).await;
    assert_eq!(u["active"], true);
    assert_eq!(app.get("/teams/", &owner).await.body["count"], 1);
    assert_eq!(app.get("/labels/users/", &owner).await.body["count"], 1);
    assert_eq!(app.get("/webhooks/", &owner).await.body["count"], 0);
}

/// Another organization's objects are not found, read or written.
#[actix_web::test]
async fn another_organizations_objects_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let Objects {
        team,
        target,
        label,
        role,
        api_user,
    } = objects(
        &app,
        &owner,
        ["Ours", "Our site", "Our label", "Our role", "Our bot"],
    )
    .await;
    let webhook = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/x", "events": ["*"], "secret": "0123456789abcdef0123"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.second_organization("other@example.net").await;
    let mut stranger = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    for (list, name) in [
        ("/console/teams", "Ours"),
        ("/console/targets", "Our site"),
        ("/console/labels", "Our label"),
        ("/console/roles", "Our role"),
        ("/console/api-users", "Our bot"),
        ("/console/webhooks", "hooks.example.com"),
    ] {
        let page = open(&mut stranger, list).await;
        assert!(!page.body.contains(name), "{list} shows {name}");
    }
    for path in [
        format!("/console/teams/{team}"),
        format!("/console/targets/{target}"),
        format!("/console/labels/{label}"),
        format!("/console/roles/{role}"),
        format!("/console/api-users/{api_user}"),
        format!("/console/webhooks/{webhook}"),
        format!("/console/webhooks/{webhook}/edit"),
    ] {
        let page = stranger.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_secured(&page, "404");
    }
    let csrf = stranger.get("/console/teams").await.csrf();
    for (path, form) in [
        (format!("/console/teams/{team}"), vec![("name", "Taken")]),
        (format!("/console/teams/{team}/delete"), vec![]),
        (format!("/console/targets/{target}/delete"), vec![]),
        (format!("/console/labels/{label}"), vec![("name", "Taken")]),
        (format!("/console/roles/{role}/delete"), vec![]),
        (
            format!("/console/api-users/{api_user}/active"),
            vec![("active", "false")],
        ),
        (
            format!("/console/api-users/{api_user}/keys"),
            vec![("name", "stolen")],
        ),
        (
            format!("/console/webhooks/{webhook}"),
            vec![("url", "https://evil.example.com"), ("events", "*")],
        ),
        (format!("/console/webhooks/{webhook}/delete"), vec![]),
    ] {
        let answer = send(&mut stranger, &path, &csrf, &form).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.body
        );
    }
    let (_, t) = rest(&app, &owner, &format!("/teams/{team}/")).await;
    assert_eq!(t["name"], "Ours");
    let (status, w) = rest(&app, &owner, &format!("/webhooks/{webhook}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(w["url"], "https://hooks.example.com/x");
    let (_, u) = rest(&app, &owner, &format!("/api-users/{api_user}/")).await;
    assert_eq!(u["active"], true);
}

/// Every organization page in Chromium, checked by axe-core and
/// photographed (`TESSERA_CONSOLE_SCREENSHOTS=docs/console` keeps the
/// pictures), with a team created by keyboard alone.
#[actix_web::test]
async fn every_organization_page_passes_axe_in_chromium_and_a_team_is_made_by_keyboard() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let team = app
        .create(
            "/teams/",
            &owner,
            json!({"name": "Platform", "description": "Runs the platform"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (email, name, role) in [
        ("ana@example.com", "Ana Lima", "ADMIN"),
        ("ben@example.com", "Ben Okafor", "EMPLOYEE"),
    ] {
        app.create(
            "/users/",
            &owner,
            json!({"email": email, "name": name, "password": PASSWORD, "user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": role, "scope": {"tier": "team"}, "team": team},
            ]}),
        )
        .await;
    }
    app.create(
        "/targets/",
        &owner,
        json!({"name": "Billing site", "url": "https://billing.example.com", "teams": [team]}),
    )
    .await;
    app.create(
        "/labels/users/",
        &owner,
        json!({"name": "Contractor", "color": "#B45309"}),
    )
    .await;
    app.create("/roles/", &owner, json!({"name": "Label curator", "description": "Keeps labels tidy", "permissions": ["users.view", "labels.manage"]}))
        .await;
    app.create(
        "/api-users/",
        &owner,
        json!({"name": "Deploy bot", "email": "deploy@example.com"}),
    )
    .await;
    let pending = app
        .create(
            "/users/",
            &owner,
            json!({"email": "new.hire@example.com", "name": "New Hire"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post("/invitations/", &owner, json!({"user": pending}))
        .await;
    let webhook = app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": "https://hooks.example.com/tessera", "events": ["label.*", "team.*"], "secret": "0123456789abcdef0123"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create("/labels/users/", &owner, json!({"name": "On call"}))
        .await;
    npm_ci();
    let shots = screenshot_dir();
    let output = tokio::process::Command::new("node")
        .arg("console-pages.mjs")
        .args([
            app.url(""),
            OWNER_EMAIL.to_owned(),
            OWNER_PASSWORD.to_owned(),
            team,
            webhook,
            shots.0.display().to_string(),
        ])
        .env("CHROMIUM", chromium())
        .current_dir(provider_dir())
        .output()
        .await
        .expect("Node.js is needed to drive Chromium (tests/oidc/console-pages.mjs)");
    assert!(
        output.status.success(),
        "the console pages journey failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("the journey's report");
    assert_eq!(report["violations"], json!([]), "{report}");
    let checked = report["checked"].as_array().unwrap();
    assert!(checked.len() >= 20, "{report}");
    // The team typed in by keyboard exists.
    let teams = app.get("/teams/?search=Keyboard", &owner).await;
    assert_eq!(teams.body["count"], 1, "{}", teams.body);
    assert_eq!(teams.body["results"][0]["name"], "Keyboard team");
}
