//! The console's people writes and the access review: the access review
//! page and its CSV (the REST endpoint's own), bulk deactivate and label,
//! adding a person with a team role and inviting them, a person's page
//! (profile, roles, labels, history) and an API user's keys. Each form: it
//! works, it needs the CSRF token, a stranger is sent to sign in, a caller
//! without the permission is offered nothing and refused, and another
//! organization's person is not found.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Browser, assert_no_inline_code, assert_secured};
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, TestApp, link_token, spawn_app};

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// The REST answer's raw text, with `token`.
async fn raw(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let answer = app
        .client
        .get(app.url(path))
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .expect("request sent");
    (answer.status(), answer.text().await.unwrap())
}

/// A stranger (no session) is sent to sign in, for a page and a form.
async fn assert_sign_in_needed(app: &TestApp, get: &str, post: &str) {
    let mut stranger = Browser::new(app);
    let page = stranger.get(get).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "GET {get}");
    assert_eq!(page.location(), Some("/console/sign-in"), "GET {get}");
    let form = stranger.post(post, &[("csrf", "x")]).await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "POST {post}");
    assert_eq!(form.location(), Some("/console/sign-in"), "POST {post}");
}

#[actix_web::test]
async fn the_access_review_page_filters_pages_and_downloads_the_rest_csv() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "emp@example.com", "EMPLOYEE")
        .await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let people = admin.get("/console/people").await;
    assert!(people.body.contains("href=\"/console/access-review\""));
    let page = admin.get("/console/access-review").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_secured(&page, "access review");
    assert_no_inline_code(&page, "access review");
    assert!(page.body.contains("emp@example.com"));
    assert!(page.body.contains("users.manage"));
    assert!(page.body.contains("3 people"), "{}", page.body);
    // The filters of GET /access-review/: only who holds users.manage.
    let narrowed = admin
        .get("/console/access-review?permission=users.manage")
        .await;
    assert!(narrowed.body.contains(OWNER_EMAIL));
    assert!(!narrowed.body.contains("emp@example.com"));
    let bad = admin.get("/console/access-review?permission=nope").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("class=\"alert\""), "{}", bad.body);
    // Paged: past the end is not found.
    let past = admin.get("/console/access-review?page=9").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    // The CSV is the REST endpoint's, byte for byte.
    let csv = admin
        .get("/console/access-review/csv?permission=users.view")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let (status, rest) = raw(
        &app,
        "/access-review/?format=csv&permission=users.view",
        &owner,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.body, rest);
    assert!(csv.body.contains("emp@example.com"));
    // A VIEWER lacks access_review.view: not offered, and refused.
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let list = viewer.get("/console/people").await;
    assert!(!list.body.contains("/console/access-review"));
    assert_eq!(
        viewer.get("/console/access-review").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer.get("/console/access-review/csv").await.status,
        StatusCode::FORBIDDEN
    );
    assert_sign_in_needed(&app, "/console/access-review", "/console/people/bulk").await;
    let mut stranger = Browser::new(&app);
    let csv = stranger.get("/console/access-review/csv").await;
    assert_eq!(csv.status, StatusCode::SEE_OTHER);
    // Another organization's review holds none of this one.
    app.second_organization("other@example.net").await;
    let mut other = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    let theirs = other.get("/console/access-review").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains("emp@example.com"));
    let theirs = other.get("/console/access-review/csv").await;
    assert!(!theirs.body.contains("emp@example.com"));
}

#[actix_web::test]
async fn people_are_deactivated_and_labelled_in_bulk_all_or_none() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let a = app.create_member(&owner, "a@example.com", "EMPLOYEE").await;
    let b = app.create_member(&owner, "b@example.com", "EMPLOYEE").await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let label = id(&app
        .create("/labels/users/", &owner, json!({"name": "Contractors"}))
        .await);
    let target = id(&app
        .create(
            "/targets/",
            &owner,
            json!({"name": "web", "url": "https://web.example.com"}),
        )
        .await);
    let reply = app
        .patch(
            &format!("/users/{b}/"),
            &owner,
            json!({"user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": "VIEWER", "scope": {"tier": "scope"}, "target": target}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let owner_id = app.id_of(&owner, OWNER_EMAIL).await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    // The target filter.
    let page = admin.get(&format!("/console/people?target={target}")).await;
    assert!(page.body.contains("b@example.com"), "{}", page.body);
    assert!(!page.body.contains("a@example.com"));
    let page = admin.get("/console/people").await;
    assert!(page.body.contains("name=\"ids\""));
    assert_no_inline_code(&page, "people with bulk actions");
    let csrf = page.csrf();
    // Label both, then take it off one.
    let done = admin
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &csrf),
                ("action", "label"),
                ("label", &label),
                ("ids", &a),
                ("ids", &b),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    for who in [&a, &b] {
        let user = app.get(&format!("/users/{who}/"), &owner).await;
        assert_eq!(
            user.body["labels"][0]["id"],
            label.as_str(),
            "{}",
            user.body
        );
    }
    let done = admin
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &csrf),
                ("action", "unlabel"),
                ("label", &label),
                ("ids", &a),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let user = app.get(&format!("/users/{a}/"), &owner).await;
    assert_eq!(user.body["labels"], json!([]));
    let user = app.get(&format!("/users/{b}/"), &owner).await;
    assert_eq!(user.body["labels"].as_array().unwrap().len(), 1);
    // One person who cannot be deactivated (the last active owner): nothing
    // changes, and the page says who and why.
    let refused = admin
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &csrf),
                ("action", "deactivate"),
                ("ids", &a),
                ("ids", &owner_id),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Nothing changed"), "{}", refused.body);
    assert!(
        refused.body.contains("last active owner"),
        "{}",
        refused.body
    );
    let user = app.get(&format!("/users/{a}/"), &owner).await;
    assert_eq!(user.body["active"], true);
    // Without the token: refused.
    let forged = admin
        .post(
            "/console/people/bulk",
            &[("action", "deactivate"), ("ids", &a)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = admin
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &csrf),
                ("action", "deactivate"),
                ("ids", &a),
                ("ids", &b),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = admin.get(done.location().unwrap()).await;
    assert!(page.body.contains("Deactivated 2 people."), "{}", page.body);
    for who in [&a, &b] {
        let user = app.get(&format!("/users/{who}/"), &owner).await;
        assert_eq!(user.body["state"], "DEACTIVATED");
    }
    let events = app
        .get("/audit-events/?action=user.deactivated", &owner)
        .await;
    assert_eq!(events.body["count"], 2, "{}", events.body);
    // A VIEWER is offered no bulk form, and a forged one is refused.
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let list = viewer.get("/console/people").await;
    assert!(!list.body.contains("/console/people/bulk"));
    assert!(!list.body.contains("name=\"ids\""));
    assert!(!list.body.contains("/console/people/new"));
    let forged = viewer
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &list.csrf()),
                ("action", "label"),
                ("label", &label),
                ("ids", &a),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Another organization's people are not found.
    app.second_organization("other@example.net").await;
    let mut other = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    let theirs = other.get("/console/people").await;
    let forged = other
        .post(
            "/console/people/bulk",
            &[
                ("csrf", &theirs.csrf()),
                ("action", "label"),
                ("label", &label),
                ("ids", &b),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let user = app.get(&format!("/users/{b}/"), &owner).await;
    assert_eq!(user.body["labels"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_person_is_added_with_a_team_role_invited_and_joins() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let team = id(&app.create("/teams/", &owner, json!({"name": "Blue"})).await);
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = admin.get("/console/people").await;
    assert!(page.body.contains("action=\"/console/people/new\""));
    assert!(
        page.body.contains(&format!("value=\"{team}\"")),
        "the team is offered"
    );
    let csrf = page.csrf();
    let form = |email: &'static str| {
        vec![
            ("name", "Nia New".to_owned()),
            ("email", email.to_owned()),
            ("role", "RoLeviewerXy".to_owned()),
            ("team", team.clone()),
            ("team_role", "RoLeadmin2Xy".to_owned()),
        ]
    };
    let mut fields = form("nia@example.com");
    fields.push(("csrf", csrf.clone()));
    let created = admin.post_owned("/console/people/new", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location().unwrap().to_owned();
    let person = location
        .trim_start_matches("/console/people/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    assert_eq!(user.body["state"], "PENDING", "{}", user.body);
    let roles = user.body["user_roles"].to_string();
    assert!(
        roles.contains("VIEWER") && roles.contains("ADMIN") && roles.contains(&team),
        "{roles}"
    );
    // The same email again: the service's message, on the page.
    let again = admin.post_owned("/console/people/new", &fields).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("already exists"), "{}", again.body);
    // Without the token: refused, nothing made.
    let forged = admin
        .post_owned("/console/people/new", &form("forged@example.com"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Invite: without a mail server the page hands over the link.
    let page = admin.get(&location).await;
    assert!(page.body.contains("Added."));
    assert!(page.body.contains("/invite\""));
    let forged = admin
        .post(&format!("/console/people/{person}/invite"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let invited = admin
        .post(
            &format!("/console/people/{person}/invite"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
    let marker = "id=\"invite-link\" class=\"mono\" readonly value=\"";
    let start = invited.body.find(marker).expect("the link") + marker.len();
    let link = &invited.body[start..start + invited.body[start..].find('"').unwrap()];
    let link = link.replace("&#x3d;", "=").replace("&amp;", "&");
    let accepted = app
        .call(
            reqwest::Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": link_token(&link), "password": "chosen-pass-7"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    app.login("nia@example.com", "chosen-pass-7").await;
    // An ACTIVE person is not offered an invitation.
    let page = admin.get(&format!("/console/people/{person}")).await;
    assert!(!page.body.contains("/invite\""));
    // A VIEWER: no form to add or invite, and forged ones are refused.
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let list = viewer.get("/console/people").await;
    let mut fields = form("viewer-made@example.com");
    fields.push(("csrf", list.csrf()));
    let forged = viewer.post_owned("/console/people/new", &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = viewer
        .post(
            &format!("/console/people/{person}/invite"),
            &[("csrf", &list.csrf())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_sign_in_needed(&app, "/console/people", "/console/people/new").await;
    // Another organization: not found.
    app.second_organization("other@example.net").await;
    let mut other = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    let theirs = other.get("/console/people").await;
    let forged = other
        .post(
            &format!("/console/people/{person}/invite"),
            &[("csrf", &theirs.csrf())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_persons_page_edits_the_profile_roles_and_labels_and_shows_the_history() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let person = app
        .create_member(&owner, "dana@example.com", "EMPLOYEE")
        .await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let team = id(&app.create("/teams/", &owner, json!({"name": "Blue"})).await);
    let label = id(&app
        .create("/labels/users/", &owner, json!({"name": "On call"}))
        .await);
    let path = format!("/console/people/{person}");
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page, "person");
    assert_no_inline_code(&page, "person");
    let csrf = page.csrf();
    // Profile.
    let saved = admin
        .post(
            &format!("{path}/profile"),
            &[
                ("csrf", &csrf),
                ("name", "Dana Doe"),
                ("email", "dana@example.com"),
                ("title", "dev"),
                ("kind", "contractor"),
                ("position", "Reviewer"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    assert_eq!(user.body["name"], "Dana Doe");
    assert_eq!(user.body["position"], "Reviewer");
    assert_eq!(user.body["kind"], "contractor");
    let bad = admin
        .post(
            &format!("{path}/profile"),
            &[("csrf", &csrf), ("name", ""), ("email", "not-an-email")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("class=\"alert\""), "{}", bad.body);
    // Roles: a team role added, then removed; the membership replaced.
    let added = admin
        .post(
            &format!("{path}/roles"),
            &[
                ("csrf", &csrf),
                ("tier", "team"),
                ("team", &team),
                ("role", "RoLeadmin2Xy"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    let team_role = user.body["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"]["tier"] == "team")
        .unwrap_or_else(|| panic!("{}", user.body))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = admin.get(&path).await;
    assert!(
        page.body.contains(&format!("value=\"{team_role}\"")),
        "a remove form"
    );
    let membership_id = user.body["user_roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"]["tier"] == "account")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !page.body.contains(&format!("value=\"{membership_id}\"")),
        "the membership is replaced, not removed"
    );
    let removed = admin
        .post(
            &format!("{path}/roles"),
            &[("csrf", &csrf), ("remove", &team_role)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let membership = admin
        .post(
            &format!("{path}/roles"),
            &[
                ("csrf", &csrf),
                ("tier", "account"),
                ("role", "RoLeviewerXy"),
            ],
        )
        .await;
    assert_eq!(
        membership.status,
        StatusCode::SEE_OTHER,
        "{}",
        membership.body
    );
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    let roles = user.body["user_roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{}", user.body);
    assert_eq!(roles[0]["role"]["name"], "VIEWER");
    // The service still judges: OWNER at a team is refused, on the page.
    let refused = admin
        .post(
            &format!("{path}/roles"),
            &[
                ("csrf", &csrf),
                ("tier", "team"),
                ("team", &team),
                ("role", "RoLeowner1Xy"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    // Labels.
    let labelled = admin
        .post(
            &format!("{path}/labels"),
            &[("csrf", &csrf), ("op", "add"), ("label", &label)],
        )
        .await;
    assert_eq!(labelled.status, StatusCode::SEE_OTHER, "{}", labelled.body);
    let page = admin.get(&path).await;
    assert!(page.body.contains("On call"));
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    assert_eq!(user.body["labels"][0]["id"], label.as_str());
    let unlabelled = admin
        .post(
            &format!("{path}/labels"),
            &[("csrf", &csrf), ("op", "remove"), ("label", &label)],
        )
        .await;
    assert_eq!(unlabelled.status, StatusCode::SEE_OTHER);
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    assert_eq!(user.body["labels"], json!([]));
    // The history, and the link to the audit page filtered to the person.
    let page = admin.get(&path).await;
    assert!(page.body.contains("user.updated"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("href=\"/console/audit?object={person}\""))
    );
    // Every form needs the token.
    for (form, fields) in [
        ("profile", vec![("name", "Forged")]),
        ("roles", vec![("tier", "account"), ("role", "RoLeadmin2Xy")]),
        ("labels", vec![("op", "add"), ("label", label.as_str())]),
    ] {
        let forged = admin.post(&format!("{path}/{form}"), &fields).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{form}");
    }
    assert_sign_in_needed(&app, &path, &format!("{path}/profile")).await;
    // A VIEWER sees the page read-only and is refused a forged write.
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let page = viewer.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("<form").count(), 1, "only signing out");
    let csrf = page.csrf();
    for (form, fields) in [
        ("profile", vec![("csrf", csrf.as_str()), ("name", "Forged")]),
        (
            "roles",
            vec![
                ("csrf", csrf.as_str()),
                ("tier", "team"),
                ("team", team.as_str()),
                ("role", "RoLeadmin2Xy"),
            ],
        ),
        (
            "labels",
            vec![
                ("csrf", csrf.as_str()),
                ("op", "add"),
                ("label", label.as_str()),
            ],
        ),
    ] {
        let forged = viewer.post(&format!("{path}/{form}"), &fields).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{form}: {}",
            forged.body
        );
    }
    let user = app.get(&format!("/users/{person}/"), &owner).await;
    assert_eq!(user.body["name"], "Dana Doe");
    // Another organization: not found, for the page and each form.
    app.second_organization("other@example.net").await;
    let mut other = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    let theirs = other.get("/console/people").await;
    let csrf = theirs.csrf();
    for (form, fields) in [
        ("profile", vec![("csrf", csrf.as_str()), ("name", "Forged")]),
        (
            "roles",
            vec![
                ("csrf", csrf.as_str()),
                ("tier", "account"),
                ("role", "RoLeadmin2Xy"),
            ],
        ),
        (
            "labels",
            vec![
                ("csrf", csrf.as_str()),
                ("op", "add"),
                ("label", label.as_str()),
            ],
        ),
    ] {
        let forged = other.post(&format!("{path}/{form}"), &fields).await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND, "{form}");
    }
}

#[actix_web::test]
async fn an_api_users_keys_are_made_shown_once_and_revoked() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let api_user = id(&app
        .create(
            "/api-users/",
            &owner,
            json!({"name": "ci", "email": "ci@example.com"}),
        )
        .await);
    let path = format!("/console/people/{api_user}");
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("API keys"));
    let made = admin
        .post(
            &format!("{path}/keys"),
            &[("csrf", &page.csrf()), ("name", "deploy")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_no_inline_code(&made, "a new key");
    let marker = "aria-label=\"The new key\" class=\"mono\" readonly value=\"";
    let start = made.body.find(marker).expect("the secret") + marker.len();
    let secret = made.body[start..start + made.body[start..].find('"').unwrap()].to_owned();
    let works = app
        .client
        .get(app.url("/profile/"))
        .header("Authorization", format!("Bearer {secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(works.status(), StatusCode::OK);
    // Shown once: not on the page again.
    let page = admin.get(&path).await;
    assert!(!page.body.contains(&secret));
    assert!(page.body.contains("deploy"));
    let keys = app
        .get(&format!("/api-users/{api_user}/keys/"), &owner)
        .await;
    let key = keys.body["results"][0]["id"]
        .as_str()
        .or_else(|| keys.body[0]["id"].as_str())
        .unwrap_or_else(|| panic!("{}", keys.body))
        .to_owned();
    let blank = admin
        .post(
            &format!("{path}/keys"),
            &[("csrf", &page.csrf()), ("name", " ")],
        )
        .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    let forged = admin.post(&format!("{path}/keys"), &[("name", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = admin.post(&format!("{path}/keys/{key}/revoke"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A VIEWER sees no keys and cannot revoke one.
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let seen = viewer.get(&path).await;
    assert!(!seen.body.contains("API keys"));
    let forged = viewer
        .post(
            &format!("{path}/keys/{key}/revoke"),
            &[("csrf", &seen.csrf())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Another organization: not found.
    app.second_organization("other@example.net").await;
    let mut other = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    let theirs = other.get("/console/people").await;
    let forged = other
        .post(
            &format!("{path}/keys/{key}/revoke"),
            &[("csrf", &theirs.csrf())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let revoked = admin
        .post(
            &format!("{path}/keys/{key}/revoke"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let ended = app
        .client
        .get(app.url("/profile/"))
        .header("Authorization", format!("Bearer {secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED);
    assert_sign_in_needed(&app, &path, &format!("{path}/keys")).await;
}
