//! The administrator's console (`/console/`): sign-in (password, then the
//! code when MFA is on), the session cookie, CSRF, the security headers of
//! every page, what a VIEWER and a stranger see, deactivation through the
//! service layer, sign-out; and the whole journey in a real Chromium with
//! axe-core (`tests/oidc/console.mjs`).

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::mfa::{code, usable_step};
use crate::sso::{chromium, npm_ci, provider_dir};

/// A browser of the console: its own cookies, no redirects followed.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    pub(crate) cookies: HashMap<String, String>,
}

/// An answer of the console.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The `Set-Cookie` line of cookie `name`.
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }

    /// The value of the page's first CSRF field.
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub(crate) async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = if cookie.is_empty() {
            request
        } else {
            request.header("cookie", cookie.join("; "))
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let removed = line.to_ascii_lowercase().contains("max-age=0");
            if removed || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            set_cookies,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    /// Posts a form of owned values.
    pub(crate) async fn post_owned(&mut self, path: &str, form: &[(&str, String)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    /// Signs in with a password (no MFA); the answer to the password.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            "/console/sign-in",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// Signs in and expects to land on the people page.
    pub(crate) async fn signed_in(app: &'a TestApp, email: &str, password: &str) -> Self {
        let mut browser = Self::new(app);
        let answer = browser.sign_in(email, password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), Some("/console/people"));
        browser
    }
}

pub(crate) fn assert_secured(page: &Page, what: &str) {
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'self'"),
        "{what}: CSP is {csp:?}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        page.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

/// No inline script or style in a page (the CSP would block them).
pub(crate) fn assert_no_inline_code(page: &Page, what: &str) {
    let body = page.body.to_ascii_lowercase();
    assert!(!body.contains("style="), "{what}: inline style");
    assert!(!body.contains("<style"), "{what}: style element");
    for (i, _) in body.match_indices(" on") {
        let rest = &body[i + 3..];
        let name_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        assert!(
            !(name_end > 0 && rest[name_end..].starts_with('=')),
            "{what}: an event handler attribute at {}",
            &body[i..(i + 40).min(body.len())]
        );
    }
    for (i, _) in body.match_indices("<script") {
        let tag = &body[i..body[i..].find('>').unwrap() + i];
        assert!(
            tag.contains(" src=\"/console/static/"),
            "{what}: inline script {tag}"
        );
    }
    assert!(
        !body.contains("http://") && !body.contains("https://"),
        "{what}: an outside URL"
    );
}

#[actix_web::test]
async fn signing_in_sets_a_safe_session_cookie_and_every_page_is_secured() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/console/").await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    let form = browser.get("/console/people").await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert_eq!(form.location(), Some("/console/sign-in"));
    assert_secured(&form, "redirect to sign in");
    let form = browser.get("/console/sign-in").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_secured(&form, "sign-in");
    assert_no_inline_code(&form, "sign-in");
    assert!(form.header("cache-control").unwrap().contains("no-store"));
    let pre = form
        .cookie("tessera_console_sign_in")
        .expect("a CSRF cookie");
    assert!(
        pre.contains("HttpOnly") && pre.contains("SameSite=Lax"),
        "{pre}"
    );
    let answer = browser
        .post(
            "/console/sign-in",
            &[
                ("csrf", &form.csrf()),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/console/people"));
    let session = answer.cookie("tessera_console").expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/console"), "{session}");
    assert!(!session.contains("Secure"), "plain http: {session}");

    for path in [
        "/console/people",
        "/console/people?q=owner&sort=-email&state=ACTIVE&mfa=off",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_secured(&page, path);
        assert_no_inline_code(&page, path);
        assert!(page.body.contains(OWNER_EMAIL), "{path}");
    }
    let owner_id = app.id_of(&app.owner_token().await, OWNER_EMAIL).await;
    let person = browser.get(&format!("/console/people/{owner_id}")).await;
    assert_eq!(person.status, StatusCode::OK);
    assert_secured(&person, "person");
    assert_no_inline_code(&person, "person");
    let missing = browser.get("/console/people/NoSuchUser12").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_secured(&missing, "404");
    let unknown = browser.get("/console/nowhere").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_secured(&unknown, "unknown page");

    for asset in ["console.css", "console.js", "htmx.min.js"] {
        let page = browser.get(&format!("/console/static/{asset}?v=1")).await;
        assert_eq!(page.status, StatusCode::OK, "{asset}");
        assert_secured(&page, asset);
        assert!(
            page.header("cache-control")
                .unwrap()
                .contains("max-age=31536000"),
            "{asset}"
        );
    }
    // The audit trail names the console.
    let trail = app
        .get("/audit-events/?action=auth.login", &app.owner_token().await)
        .await;
    assert!(
        trail.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["interface"] == "console"),
        "{}",
        trail.body
    );
}

#[actix_web::test]
async fn the_session_cookie_is_secure_behind_https() {
    let app =
        spawn_app_with(|s| s.mail.public_url = Some("https://tessera.example.com".into())).await;
    let mut browser = Browser::new(&app);
    let answer = browser.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let session = answer.cookie("tessera_console").expect("a session cookie");
    assert!(session.contains("Secure"), "{session}");
}

#[actix_web::test]
async fn wrong_credentials_and_missing_csrf_tokens_are_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let answer = browser.sign_in(OWNER_EMAIL, "wrong password 1").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer
            .body
            .contains("Unable to log in with provided credentials.")
    );
    assert!(answer.cookie("tessera_console").is_none());
    assert_secured(&answer, "refused sign-in");
    let unknown = browser
        .sign_in("nobody@example.com", "wrong password 1")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    // A sign-in form without the token of its cookie.
    let mut stranger = Browser::new(&app);
    let forged = stranger
        .post(
            "/console/sign-in",
            &[
                ("csrf", "x"),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.cookie("tessera_console").is_none());

    // A signed-in form without (or with another session's) token.
    let owner = app.owner_token().await;
    let member = app.create_member(&owner, "m@example.com", "EMPLOYEE").await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let other = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let theirs = {
        let mut other = other;
        other.get(&format!("/console/people/{member}")).await.csrf()
    };
    for csrf in ["", "nope", theirs.as_str()] {
        let refused = admin
            .post(
                &format!("/console/people/{member}/active"),
                &[("csrf", csrf), ("active", "false")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert_secured(&refused, "CSRF refusal");
    }
    let user = app.get(&format!("/users/{member}/"), &owner).await;
    assert_eq!(user.body["active"], true);
}

#[actix_web::test]
async fn an_admin_deactivates_and_reactivates_a_person() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let member = app
        .create_member(&owner, "dana@example.com", "EMPLOYEE")
        .await;
    let member_token = app.login("dana@example.com", PASSWORD).await;
    let mut admin = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = admin.get(&format!("/console/people/{member}")).await;
    assert!(page.body.contains("Deactivate"), "{}", page.body);
    let done = admin
        .post(
            &format!("/console/people/{member}/active"),
            &[("csrf", &page.csrf()), ("active", "false")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let user = app.get(&format!("/users/{member}/"), &owner).await;
    assert_eq!(user.body["state"], "DEACTIVATED");
    assert_eq!(
        app.get("/profile/", &member_token).await.status,
        StatusCode::UNAUTHORIZED,
        "deactivation ends the person's tokens"
    );
    let listed = admin.get("/console/people?state=DEACTIVATED").await;
    assert!(listed.body.contains("dana@example.com"));
    let active = admin.get("/console/people?state=ACTIVE").await;
    assert!(!active.body.contains("dana@example.com"));
    let page = admin.get(&format!("/console/people/{member}")).await;
    assert!(page.body.contains("Reactivate"));
    let done = admin
        .post(
            &format!("/console/people/{member}/active"),
            &[("csrf", &page.csrf()), ("active", "true")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let user = app.get(&format!("/users/{member}/"), &owner).await;
    assert_eq!(user.body["active"], true);
    // The last active owner is never deactivated, here either.
    let owner_id = app.id_of(&owner, OWNER_EMAIL).await;
    let page = admin.get(&format!("/console/people/{owner_id}")).await;
    let refused = admin
        .post(
            &format!("/console/people/{owner_id}/active"),
            &[("csrf", &page.csrf()), ("active", "false")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("last active owner"),
        "{}",
        refused.body
    );
    let events = app
        .get("/audit-events/?action=user.deactivated", &owner)
        .await;
    assert_eq!(
        events.body["results"][0]["interface"], "console",
        "{}",
        events.body
    );
}

#[actix_web::test]
async fn a_viewer_sees_everything_read_only() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let member = app
        .create_member(&owner, "emp@example.com", "EMPLOYEE")
        .await;
    let mut viewer = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let list = viewer.get("/console/people").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("emp@example.com"));
    let page = viewer.get(&format!("/console/people/{member}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("emp@example.com"));
    assert!(
        !page.body.contains("/active\""),
        "no write form: {}",
        page.body
    );
    assert!(!page.body.contains("Deactivate"));
    // The only form is signing out; a forged write is still refused.
    assert_eq!(page.body.matches("<form").count(), 1);
    assert!(
        !page.body.contains("/console/audit"),
        "no audit trail offered"
    );
    let trail = viewer.get("/console/audit").await;
    assert_eq!(trail.status, StatusCode::FORBIDDEN);
    assert_secured(&trail, "403");
    let forged = viewer
        .post(
            &format!("/console/people/{member}/active"),
            &[("csrf", &page.csrf()), ("active", "false")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let user = app.get(&format!("/users/{member}/"), &owner).await;
    assert_eq!(user.body["active"], true);
}

#[actix_web::test]
async fn a_person_of_another_organization_sees_nothing_of_this_one() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let member = app
        .create_member(&owner, "ours@example.com", "EMPLOYEE")
        .await;
    app.second_organization("other@example.net").await;
    let mut stranger = Browser::signed_in(&app, "other@example.net", OWNER_PASSWORD).await;
    let list = stranger.get("/console/people").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("other@example.net"));
    assert!(!list.body.contains("ours@example.com"));
    assert!(!list.body.contains(OWNER_EMAIL));
    let searched = stranger.get("/console/people?q=ours").await;
    assert!(!searched.body.contains("ours@example.com"));
    let page = stranger.get(&format!("/console/people/{member}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let trail = stranger.get("/console/audit").await;
    assert_eq!(trail.status, StatusCode::OK);
    assert!(!trail.body.contains("ours@example.com"));
    assert!(!trail.body.contains(&member));
    assert!(!trail.body.contains(OWNER_EMAIL));
    let list = stranger.get("/console/people").await;
    let forged = stranger
        .post(
            &format!("/console/people/{member}/active"),
            &[("csrf", &list.csrf()), ("active", "false")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let user = app.get(&format!("/users/{member}/"), &owner).await;
    assert_eq!(user.body["active"], true);
}

#[actix_web::test]
async fn signing_out_ends_the_session_for_good() {
    let app = spawn_app().await;
    let mut browser = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = browser.get("/console/people").await;
    let copied = browser.cookies.clone();
    let out = browser
        .post("/console/sign-out", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/console/sign-in"));
    assert!(!browser.cookies.contains_key("tessera_console"));
    // A copy of the cookie taken before is worth nothing now.
    let mut thief = Browser::new(&app);
    thief.cookies = copied;
    let page = thief.get("/console/people").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/console/sign-in"));
}

/// Enrolls `token`'s user in MFA; its secret and the step used to confirm.
async fn enroll(app: &TestApp, token: &str) -> (String, u64) {
    let reply = app.post("/profile/mfa/", token, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let step = usable_step(None).await;
    let confirmed = app
        .post(
            "/profile/mfa/confirm/",
            token,
            json!({"otp": code(&secret, step)}),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.body
    );
    (secret, step)
}

#[actix_web::test]
async fn with_mfa_on_the_code_is_asked_for_on_a_second_page() {
    let app = spawn_app().await;
    let (secret, step) = enroll(&app, &app.owner_token().await).await;
    let mut browser = Browser::new(&app);
    let answer = browser.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/console/sign-in/code"));
    assert!(answer.cookie("tessera_console").is_none());
    let ticket = answer
        .cookie("tessera_console_code")
        .expect("a code cookie");
    assert!(ticket.contains("HttpOnly"), "{ticket}");
    let form = browser.get("/console/sign-in/code").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_secured(&form, "code page");
    let csrf = form.csrf();
    let wrong = browser
        .post(
            "/console/sign-in/code",
            &[("csrf", &csrf), ("otp", "12345")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.cookie("tessera_console").is_none());
    // The code cookie is bound to this browser's sign-in cookie.
    let mut other = Browser::new(&app);
    other.get("/console/sign-in").await;
    other.cookies.insert(
        "tessera_console_code".into(),
        browser.cookies["tessera_console_code"].clone(),
    );
    let csrf_other = other.cookies["tessera_console_sign_in"].clone();
    let step = usable_step(Some(step)).await;
    let stolen = other
        .post(
            "/console/sign-in/code",
            &[("csrf", &csrf_other), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::SEE_OTHER);
    assert_eq!(stolen.location(), Some("/console/sign-in"));
    let right = browser
        .post(
            "/console/sign-in/code",
            &[("csrf", &csrf), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.location(), Some("/console/people"));
    assert!(right.cookie("tessera_console").is_some());
    let page = browser.get("/console/people").await;
    assert_eq!(page.status, StatusCode::OK);
    // The same code does not sign in twice.
    let mut again = Browser::new(&app);
    again.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let csrf = again.cookies["tessera_console_sign_in"].clone();
    let replay = again
        .post(
            "/console/sign-in/code",
            &[("csrf", &csrf), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_person_signs_in_with_mfa_finds_and_deactivates_someone_in_chromium() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    for (email, role) in [
        ("erin.walsh@example.com", "EMPLOYEE"),
        ("femi.okoro@example.com", "VIEWER"),
        ("gus.lind@example.com", "AUDITOR"),
    ] {
        app.create_member(&owner, email, role).await;
    }
    // The team the journey's newcomer gets a role at, and an API user.
    app.create("/teams/", &owner, json!({"name": "Blue"})).await;
    let api_user = app
        .create(
            "/api-users/",
            &owner,
            json!({"name": "ci-bot", "email": "ci-bot@example.com"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Turning MFA on ends the owner's token: another admin checks the outcome.
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    let (secret, step) = enroll(&app, &owner).await;
    npm_ci();
    let shots = screenshot_dir();
    let output = tokio::process::Command::new("node")
        .arg("console.mjs")
        .args([
            app.url(""),
            OWNER_EMAIL.to_owned(),
            OWNER_PASSWORD.to_owned(),
            // Chromium computes the code as it types it, after `step`.
            secret,
            (step + 1).to_string(),
            "erin.walsh".to_owned(),
            shots.0.display().to_string(),
            api_user.clone(),
        ])
        .env("CHROMIUM", chromium())
        .current_dir(provider_dir())
        .output()
        .await
        .expect("Node.js is needed to drive Chromium (tests/oidc/console.mjs)");
    assert!(
        output.status.success(),
        "the console journey failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the journey's report");
    assert_eq!(report["violations"], json!([]), "{report}");
    assert_eq!(report["checked"].as_array().unwrap().len(), 17, "{report}");
    let erin = app.id_of(&admin, "erin.walsh@example.com").await;
    let user = app.get(&format!("/users/{erin}/"), &admin).await;
    assert_eq!(user.body["state"], "DEACTIVATED");
    // The newcomer joined (a password of their own), then was deactivated.
    let hana = app.id_of(&admin, "hana.ito@example.com").await;
    let user = app.get(&format!("/users/{hana}/"), &admin).await;
    assert_eq!(user.body["state"], "DEACTIVATED", "{}", user.body);
    let accepted = app
        .get("/audit-events/?action=invitation.accepted", &admin)
        .await;
    assert_eq!(accepted.body["count"], 1, "{}", accepted.body);
    let keys = app
        .get(&format!("/api-users/{api_user}/keys/"), &admin)
        .await;
    assert!(keys.body.to_string().contains("deploy"), "{}", keys.body);
}

#[actix_web::test]
async fn a_viewer_reads_everything_and_changes_nothing_and_another_organization_sees_nothing_in_chromium()
 {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let person = app
        .create_member(&owner, "erin.walsh@example.com", "EMPLOYEE")
        .await;
    app.create_member(&owner, "femi.okoro@example.com", "VIEWER")
        .await;
    let team = app.create("/teams/", &owner, json!({"name": "Blue"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.second_organization("olga@other.example").await;
    npm_ci();
    let shots = screenshot_dir();
    let output = tokio::process::Command::new("node")
        .arg("console-viewer.mjs")
        .args([
            app.url(""),
            "femi.okoro@example.com".to_owned(),
            PASSWORD.to_owned(),
            "olga@other.example".to_owned(),
            OWNER_PASSWORD.to_owned(),
            person,
            "erin.walsh@example.com".to_owned(),
            team,
            shots.0.display().to_string(),
        ])
        .env("CHROMIUM", chromium())
        .current_dir(provider_dir())
        .output()
        .await
        .expect("Node.js is needed to drive Chromium (tests/oidc/console-viewer.mjs)");
    assert!(
        output.status.success(),
        "the viewer's journey failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the journey's report");
    assert_eq!(report["failures"], json!([]), "{report}");
    assert_eq!(report["violations"], json!([]), "{report}");
    assert!(
        report["checked"].as_array().unwrap().len() >= 11,
        "{report}"
    );
}

/// Where a Chromium journey photographs its pages: `TESSERA_CONSOLE_SCREENSHOTS`
/// (for docs/console), else a temporary directory kept as long as the pair.
pub(crate) fn screenshot_dir() -> (std::path::PathBuf, Option<tempfile::TempDir>) {
    match std::env::var("TESSERA_CONSOLE_SCREENSHOTS") {
        Ok(dir) if !dir.is_empty() => {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            (dir, None)
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            (dir.path().to_owned(), Some(dir))
        }
    }
}

#[actix_web::test]
async fn single_sign_on_is_offered_and_lands_in_the_console() {
    use crate::saml::{Idp, connection, post, to_acs};
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/console/sign-in").await;
    assert!(!form.body.contains("Sign in with your identity provider"));
    let idp = Idp::start();
    let owner = app.owner_token().await;
    let mut body = connection(&idp, &["corp.example"]);
    body["redirect_uri"] = json!(app.url("/console/sso"));
    app.create("/sso/connections/", &owner, body).await;
    let form = browser.get("/console/sign-in").await;
    assert!(form.body.contains("Sign in with your identity provider"));
    assert!(form.body.contains(r#"action="/console/sso/start""#));
    // Through the provider, and back to the console with a one-time code.
    let sso = crate::sso::browser();
    let start = app.url("/console/sso/start?email=alice@corp.example");
    let posted = to_acs(&sso, &start, "alice", &[]).await;
    let landed = post(&sso, &posted).await;
    let to = landed.headers()["location"].to_str().unwrap().to_owned();
    let path = to.strip_prefix(&app.address).expect("back to the console");
    assert!(path.starts_with("/console/sso?code="), "{to}");
    // In another browser the code signs no one in (login CSRF)...
    let elsewhere = Browser::new(&app).get(path).await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert!(elsewhere.cookie("tessera_console").is_none());
    // ...in the browser that started the sign-in, it opens a session.
    let session = sso.get(&to).send().await.unwrap();
    assert_eq!(session.status(), StatusCode::SEE_OTHER);
    assert_eq!(session.headers()["location"], "/console/people");
    let people = sso.get(app.url("/console/people")).send().await.unwrap();
    assert_eq!(people.status(), StatusCode::OK);
    let body = people.text().await.unwrap();
    assert!(body.contains("alice@corp.example"), "{body}");
    // A code is good once.
    let again = sso.get(&to).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

/// The QR code of the enrolment page: the inline `<svg>` element.
fn svg_of(page: &Page) -> &str {
    let start = page.body.find("<svg").expect("an inline SVG QR code");
    let end = page.body[start..].find("</svg>").unwrap() + start;
    &page.body[start..end]
}

/// The key shown for manual entry.
fn secret_of(page: &Page) -> String {
    let marker = r#"id="mfa-secret">"#;
    let start = page.body.find(marker).expect("the key as text") + marker.len();
    let end = page.body[start..].find('<').unwrap() + start;
    page.body[start..end].to_owned()
}

#[actix_web::test]
async fn the_own_profile_page_shows_the_person_and_is_linked() {
    let app = spawn_app().await;
    let mut stranger = Browser::new(&app);
    let away = stranger.get("/console/profile").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert_eq!(away.location(), Some("/console/sign-in"));

    let owner = app.owner_token().await;
    app.create_member(&owner, "viewer@example.com", "VIEWER")
        .await;
    let mut browser = Browser::signed_in(&app, "viewer@example.com", PASSWORD).await;
    let people = browser.get("/console/people").await;
    assert!(people.body.contains(r#"href="/console/profile""#));
    let page = browser.get("/console/profile/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_secured(&page, "profile page");
    assert_no_inline_code(&page, "profile page");
    assert!(page.body.contains("viewer@example.com"));
    assert!(page.body.contains(r#"<dd id="mfa-state">Off</dd>"#));
    assert!(page.body.contains(r#"action="/console/profile/password""#));
    assert!(page.body.contains(r#"action="/console/profile/mfa""#));
}

#[actix_web::test]
async fn a_person_changes_their_password_in_the_console() {
    let app = spawn_app().await;
    let mut browser = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let csrf = browser.get("/console/profile").await.csrf();
    let new_password = "a much Newer passphrase 93";

    // Without (or with a wrong) CSRF token: refused, nothing changed.
    for token in ["", "nope"] {
        let forged = browser
            .post(
                "/console/profile/password",
                &[
                    ("csrf", token),
                    ("current_password", OWNER_PASSWORD),
                    ("password", new_password),
                    ("confpassword", new_password),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "csrf {token:?}");
        assert_secured(&forged, "CSRF refusal");
    }
    // A wrong current password: the message next to its field.
    let wrong = browser
        .post(
            "/console/profile/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not my password 1"),
                ("password", new_password),
                ("confpassword", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_secured(&wrong, "refused change");
    assert!(
        wrong.body.contains(
            r#"<p id="current_password-error" class="alert">The current password is wrong."#
        ),
        "{}",
        wrong.body
    );
    // A weak one, and two that differ.
    let weak = browser
        .post(
            "/console/profile/password",
            &[
                ("csrf", &csrf),
                ("current_password", OWNER_PASSWORD),
                ("password", "short"),
                ("confpassword", "other"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(
        weak.body.contains(r#"id="password-error""#),
        "{}",
        weak.body
    );
    assert!(weak.body.contains(r#"id="confpassword-error""#));
    assert_eq!(browser.get("/console/profile").await.status, StatusCode::OK);

    let done = browser
        .post(
            "/console/profile/password",
            &[
                ("csrf", &csrf),
                ("current_password", OWNER_PASSWORD),
                ("password", new_password),
                ("confpassword", new_password),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Sign in again"));
    assert!(!browser.cookies.contains_key("tessera_console"));
    // The session has ended; the new password signs in, the old one not.
    let page = browser.get("/console/profile").await;
    assert_eq!(page.location(), Some("/console/sign-in"));
    let old = Browser::new(&app)
        .sign_in(OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    Browser::signed_in(&app, OWNER_EMAIL, new_password).await;
}

#[actix_web::test]
async fn a_person_turns_mfa_on_with_a_qr_code_and_off_again() {
    let app = spawn_app().await;
    let mut browser = Browser::signed_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let csrf = browser.get("/console/profile").await.csrf();
    let forged = browser
        .post("/console/profile/mfa", &[("csrf", "nope")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let enrolment = browser
        .post("/console/profile/mfa", &[("csrf", &csrf)])
        .await;
    assert_eq!(enrolment.status, StatusCode::OK, "{}", enrolment.body);
    assert_secured(&enrolment, "enrolment page");
    assert_no_inline_code(&enrolment, "enrolment page");
    let svg = svg_of(&enrolment);
    assert!(svg.contains("<path "), "{svg}");
    let secret = secret_of(&enrolment);
    assert!(secret.len() >= 16, "{secret}");
    assert!(
        enrolment
            .body
            .contains(r#"action="/console/profile/mfa/confirm""#)
    );

    // A wrong code: the message next to the field, MFA still off.
    let wrong = browser
        .post(
            "/console/profile/mfa/confirm",
            &[("csrf", &csrf), ("otp", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains(r#"id="otp-error""#), "{}", wrong.body);
    let missing = browser
        .post("/console/profile/mfa/confirm", &[("otp", "000000")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);

    let step = usable_step(None).await;
    let on = browser
        .post(
            "/console/profile/mfa/confirm",
            &[("csrf", &csrf), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert!(on.body.contains("Sign in again"));
    // Every token ended; signing in now asks for the code.
    assert_eq!(
        browser.get("/console/profile").await.location(),
        Some("/console/sign-in")
    );
    let mut again = Browser::new(&app);
    let answer = again.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(answer.location(), Some("/console/sign-in/code"));
    let code_csrf = again.cookies["tessera_console_sign_in"].clone();
    let step = usable_step(Some(step)).await;
    let signed = again
        .post(
            "/console/sign-in/code",
            &[("csrf", &code_csrf), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(
        signed.location(),
        Some("/console/people"),
        "{}",
        signed.body
    );
    let page = again.get("/console/profile").await;
    assert!(page.body.contains(r#"<dd id="mfa-state">On</dd>"#));
    assert!(!page.body.contains("<svg"));

    // Off again with a current code.
    let csrf = page.csrf();
    let step = usable_step(Some(step)).await;
    let off = again
        .post(
            "/console/profile/mfa/disable",
            &[("csrf", &csrf), ("otp", &code(&secret, step))],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    assert_eq!(off.location(), Some("/console/profile?done=mfa-off"));
    let page = again.get("/console/profile?done=mfa-off").await;
    assert!(page.body.contains(r#"<dd id="mfa-state">Off</dd>"#));
    assert!(page.body.contains("MFA is off."));
}

/// The `Set-Cookie` value of the console session cookie, if the response sets one.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| line.strip_prefix("tessera_console="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

/// The claims of a token (its payload, not verified).
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The console's session slides: a request made with a token past half its
/// life gets a fresh token of the same family, which ends later; revoking
/// it (as signing out does) ends both.
#[actix_web::test]
async fn the_console_session_slides_while_it_is_used() {
    // Tokens live on the wall clock: a short life, and a real wait.
    let app = spawn_app_with(|s| s.token_ttl = 20).await;
    let first = app.owner_token().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let people = |token: String| {
        client
            .get(app.url("/console/people"))
            .header("cookie", format!("tessera_console={token}"))
            .send()
    };

    // Young: no new token.
    let young = people(first.clone()).await.unwrap();
    assert_eq!(young.status(), StatusCode::OK);
    assert_eq!(session_cookie(&young), None);

    // Past half its life: the page, and a renewed session cookie.
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let old = people(first.clone()).await.unwrap();
    assert_eq!(old.status(), StatusCode::OK);
    let second = session_cookie(&old).expect("a renewed session cookie");
    assert_ne!(second, first);
    assert!(!second.is_empty());

    // The renewed token ends later, in the login's refresh family.
    let (first_claims, second_claims) = (claims(&first), claims(&second));
    assert!(
        second_claims["exp"].as_i64() > first_claims["exp"].as_i64(),
        "{first_claims} {second_claims}"
    );
    assert_eq!(second_claims["fam"], first_claims["fam"]);
    let renewed = people(second.clone()).await.unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);

    // Revoking the renewed token revokes its family: the login's too.
    let revoked = app
        .call(
            Method::POST,
            "/auth/revoke/",
            None,
            Some(json!({"token": second})),
        )
        .await;
    assert!(revoked.status.is_success(), "revoke: {}", revoked.body);
    for token in [second, first] {
        let after = people(token).await.unwrap();
        assert_eq!(after.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            after.headers()["location"].to_str().unwrap(),
            "/console/sign-in"
        );
    }
}
