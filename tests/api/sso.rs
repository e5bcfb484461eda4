//! `/sso/`: single sign-on connections, and OpenID Connect sign-in against
//! a real OpenID Provider (panva's `oidc-provider`, `tests/oidc/`), which
//! each test that needs it starts on 127.0.0.1 and a free port. Without
//! Node.js those tests fail: they never skip.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Peer, TestApp, spawn_announced, spawn_app, spawn_app_with};

pub const CLIENT_ID: &str = "tessera";
pub const CLIENT_SECRET: &str = "tessera-client-secret-0123456789";
pub const FRONTEND: &str = "https://app.example.com/sso/done";

/// `npm ci` once per test run (the lock file pins every version).
static NPM: Mutex<bool> = Mutex::new(false);

pub fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

pub fn npm_ci() {
    let mut done = NPM.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let dir = provider_dir();
    let installed = [
        "oidc-provider",
        "jose",
        "playwright-core",
        "@axe-core/playwright",
    ]
    .iter()
    .all(|package| dir.join("node_modules").join(package).exists());
    if !installed {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed to install the test OpenID Provider (tests/oidc)");
        assert!(status.success(), "npm ci in tests/oidc failed: {status}");
    }
    *done = true;
}

/// A running OpenID Provider; stopped when dropped.
pub struct Provider {
    pub issuer: String,
    _process: Peer,
}

impl Provider {
    /// Starts the provider with Tessera's redirect URI registered.
    pub fn start(app: &TestApp) -> Self {
        Self::start_with(app, &[])
    }

    /// `start` with environment variables for `provider.mjs` (`PORT`,
    /// `CLOCK_OFFSET`).
    pub fn start_with(app: &TestApp, env: &[(&str, &str)]) -> Self {
        npm_ci();
        let (process, started) = spawn_announced(
            Command::new("node")
                .arg("provider.mjs")
                .arg(app.url("/sso/oidc/callback/"))
                .envs(env.iter().copied())
                .current_dir(provider_dir()),
            "the test OpenID Provider (Node.js, tests/oidc)",
        );
        Self {
            issuer: started["issuer"].as_str().expect("an issuer").to_owned(),
            _process: process,
        }
    }
}

/// A connection body for the provider.
pub fn connection(issuer: &str, domains: &[&str]) -> Value {
    json!({
        "protocol": "oidc",
        "name": "Corp IdP",
        "domains": domains,
        "jit": true,
        "redirect_uri": FRONTEND,
        "oidc": {
            "issuer": issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": ["openid", "email", "groups"],
        },
    })
}

#[actix_web::test]
async fn connections_are_created_read_listed_changed_and_deleted() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let created = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["Corp.Example", "Bücher.example"]),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 12);
    assert_eq!(created["protocol"], "oidc");
    assert_eq!(
        created["domains"],
        json!(["corp.example", "xn--bcher-kva.example"])
    );
    assert_eq!(created["enforcement"], "optional");
    assert_eq!(created["jit"], true);
    assert_eq!(created["active"], true);
    assert_eq!(created["default_role"], "RoLemp1oyeeX");
    assert_eq!(created["oidc"]["issuer"], provider.issuer.as_str());
    assert_eq!(created["oidc"]["client_secret_set"], true);
    assert_eq!(
        created["oidc"]["scopes"],
        json!(["openid", "email", "groups"])
    );
    assert_eq!(created["oidc"]["claim_email"], "email");
    assert!(
        !created.to_string().contains(CLIENT_SECRET),
        "the secret is never shown: {created}"
    );

    let one = app.get(&format!("/sso/connections/{id}/"), &owner).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body, created);
    let listed = app.get("/sso/connections/", &owner).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["count"], 1);
    assert_eq!(listed.body["results"][0]["id"], id.as_str());

    let team = app
        .create("/teams/", &owner, json!({"name": "Engineering"}))
        .await;
    let team_id = team["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/sso/connections/{id}/"),
            &owner,
            json!({"enforcement": "required", "default_role": "VIEWER", "domains": ["corp.example"],
                   "group_mapping": [{"group": "engineering", "role": "EMPLOYEE", "team": team_id},
                                     {"group": "admins", "role": "ADMIN"}],
                   "oidc": {"claim_groups": "roles", "client_secret": "another-secret"}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["enforcement"], "required");
    assert_eq!(patched.body["default_role"], "RoLeviewerXy");
    assert_eq!(patched.body["domains"], json!(["corp.example"]));
    assert_eq!(patched.body["oidc"]["claim_groups"], "roles");
    assert_eq!(patched.body["oidc"]["client_id"], CLIENT_ID);
    assert_eq!(
        patched.body["group_mapping"],
        json!([{"group": "engineering", "role": "RoLemp1oyeeX", "team": team_id},
               {"group": "admins", "role": "RoLeadmin2Xy", "team": null}])
    );

    // Every write is audited; the secret is not in the trail.
    let trail = app
        .get("/audit-events/?object_type=sso_connection", &owner)
        .await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    let actions: Vec<&str> = trail.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"sso_connection.created"), "{actions:?}");
    assert!(actions.contains(&"sso_connection.updated"), "{actions:?}");
    assert!(!trail.body.to_string().contains("another-secret"));
    assert!(!trail.body.to_string().contains(CLIENT_SECRET));

    let deleted = app.delete(&format!("/sso/connections/{id}/"), &owner).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/sso/connections/{id}/"), &owner).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // Its domain is free again.
    app.create(
        "/sso/connections/",
        &owner,
        connection(&provider.issuer, &["corp.example"]),
    )
    .await;
}

#[actix_web::test]
async fn an_unreachable_or_wrong_issuer_is_a_400_naming_oidc_issuer() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    // Nothing listens there (the port of a closed listener).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for issuer in [
        format!("http://127.0.0.1:{closed}"),
        // A server that is not an OpenID Provider (Tessera itself).
        app.url(""),
        // The provider's document names another issuer.
        format!("{}/other", provider.issuer),
        "http://idp.example.com".to_owned(),
        "not a url".to_owned(),
    ] {
        let reply = app
            .post(
                "/sso/connections/",
                &owner,
                connection(&issuer, &["corp.example"]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{issuer}: {}",
            reply.body
        );
        assert!(
            reply.body["oidc"]["issuer"][0].is_string(),
            "{issuer}: {}",
            reply.body
        );
    }
    // And on PATCH.
    let created = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["corp.example"]),
        )
        .await;
    let reply = app
        .patch(
            &format!("/sso/connections/{}/", created["id"].as_str().unwrap()),
            &owner,
            json!({"oidc": {"issuer": format!("http://127.0.0.1:{closed}")}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        reply.body["oidc"]["issuer"][0].is_string(),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn invalid_fields_are_400s_with_each_field_named() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let missing = app.post("/sso/connections/", &owner, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    for field in ["name", "domains", "redirect_uri", "oidc"] {
        assert!(missing.body[field].is_array(), "{field}: {}", missing.body);
    }
    let cases = [
        (json!({"domains": ["not a domain"]}), "domains"),
        (json!({"domains": []}), "domains"),
        (json!({"enforcement": "always"}), "enforcement"),
        (json!({"protocol": "ldap"}), "protocol"),
        (
            json!({"redirect_uri": "javascript:alert(1)"}),
            "redirect_uri",
        ),
        (json!({"default_role": "NO_SUCH_ROLE"}), "default_role"),
        (json!({"default_role": "BILLING"}), "default_role"),
        (json!({"group_mapping": [{"group": "x"}]}), "group_mapping"),
        (
            json!({"group_mapping": [{"group": "x", "role": "EMPLOYEE", "team": "NoSuchTeam12"}]}),
            "group_mapping",
        ),
        (
            json!({"group_mapping": [{"group": "x", "role": "OWNER", "team": "NoSuchTeam12"}]}),
            "group_mapping",
        ),
    ];
    for (change, field) in cases {
        let mut body = connection(&provider.issuer, &["corp.example"]);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post("/sso/connections/", &owner, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{change}: {}",
            reply.body
        );
        assert!(!reply.body[field].is_null(), "{change}: {}", reply.body);
    }
    let mut no_client = connection(&provider.issuer, &["corp.example"]);
    no_client["oidc"] = json!({"issuer": provider.issuer});
    let reply = app.post("/sso/connections/", &owner, no_client).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["oidc"]["client_id"].is_array(), "{}", reply.body);

    // A domain belongs to one connection, across organizations.
    app.create(
        "/sso/connections/",
        &owner,
        connection(&provider.issuer, &["corp.example"]),
    )
    .await;
    let other = app.second_organization("owner@other.example").await;
    let taken = app
        .post(
            "/sso/connections/",
            &other,
            connection(&provider.issuer, &["CORP.example"]),
        )
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.body);
    assert!(taken.body["domains"].is_array(), "{}", taken.body);
}

#[actix_web::test]
async fn only_sso_managers_of_the_organization_reach_connections() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let created = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["corp.example"]),
        )
        .await;
    let path = format!("/sso/connections/{}/", created["id"].as_str().unwrap());

    let anonymous = app
        .call(reqwest::Method::GET, "/sso/connections/", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let (_, viewer) = app.member(&owner, "viewer@example.com", "VIEWER").await;
    for reply in [
        app.get("/sso/connections/", &viewer).await,
        app.get(&path, &viewer).await,
        app.post(
            "/sso/connections/",
            &viewer,
            connection(&provider.issuer, &["x.example"]),
        )
        .await,
        app.patch(&path, &viewer, json!({"name": "Mine"})).await,
        app.delete(&path, &viewer).await,
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }

    // An ADMIN manages connections, but cannot hand out OWNER through one.
    let (_, admin) = app.member(&owner, "admin@example.com", "ADMIN").await;
    assert_eq!(app.get(&path, &admin).await.status, StatusCode::OK);
    let escalating = app
        .patch(&path, &admin, json!({"default_role": "OWNER"}))
        .await;
    assert_eq!(
        escalating.status,
        StatusCode::FORBIDDEN,
        "{}",
        escalating.body
    );
    let mut body = connection(&provider.issuer, &["y.example"]);
    body["group_mapping"] = json!([{"group": "admins", "role": "OWNER"}]);
    let escalating = app.post("/sso/connections/", &admin, body).await;
    assert_eq!(
        escalating.status,
        StatusCode::FORBIDDEN,
        "{}",
        escalating.body
    );
    let fine = app
        .patch(&path, &admin, json!({"default_role": "ADMIN"}))
        .await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.body);

    // Another organization sees none of it.
    let other = app.second_organization("owner@other.example").await;
    assert_eq!(app.get(&path, &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&path, &other, json!({"name": "x"})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &other).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = app.get("/sso/connections/", &other).await;
    assert_eq!(listed.body["count"], 0, "{}", listed.body);
    assert_eq!(
        app.get("/sso/connections/NoSuchConn12/", &owner)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A browser: keeps cookies (Tessera's and the provider's), follows no
/// redirect by itself.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(from: &str, response: &reqwest::Response) -> String {
    let raw = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect from {from}: {}", response.status()))
        .to_str()
        .unwrap();
    url::Url::parse(from)
        .unwrap()
        .join(raw)
        .unwrap()
        .to_string()
}

/// Follows a sign-in from `start` (a Tessera URL) through the provider's
/// login and consent forms as `login`, up to the provider's redirect to
/// Tessera's callback, which it returns without following.
pub async fn to_callback(
    app: &TestApp,
    browser: &reqwest::Client,
    start: &str,
    login: &str,
) -> String {
    let callback = app.url("/sso/oidc/callback");
    let mut url = start.to_owned();
    for _ in 0..20 {
        if url.starts_with(&callback) {
            return url;
        }
        let response = browser.get(&url).send().await.expect("GET");
        if response.status().is_redirection() {
            url = location(&url, &response);
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{url}: {html}");
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form at {url}: {html}"));
        let action = url::Url::parse(&url)
            .unwrap()
            .join(action)
            .unwrap()
            .to_string();
        let form: Vec<(&str, &str)> = if html.contains("name=\"prompt\" value=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else if html.contains("name=\"prompt\" value=\"consent\"") {
            vec![("prompt", "consent")]
        } else {
            panic!("an unknown page at {url}: {html}");
        };
        let response = browser
            .post(&action)
            .form(&form)
            .send()
            .await
            .expect("POST");
        assert!(
            response.status().is_redirection(),
            "{action}: {}",
            response.status()
        );
        url = location(&action, &response);
    }
    panic!("the sign-in never came back to Tessera (last at {url})");
}

/// Where Tessera's callback sends the browser: the frontend URL.
pub async fn land(browser: &reqwest::Client, callback: &str) -> url::Url {
    let response = browser.get(callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::FOUND, "{callback}");
    let to = location(callback, &response);
    assert!(to.starts_with(FRONTEND), "{to}");
    url::Url::parse(&to).unwrap()
}

pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Signs in as `login` by email discovery: the frontend URL it lands on.
pub async fn sign_in(app: &TestApp, email: &str, login: &str) -> url::Url {
    let browser = browser();
    let start = app.url(&format!("/sso/login/?email={email}"));
    let callback = to_callback(app, &browser, &start, login).await;
    land(&browser, &callback).await
}

/// Exchanges a landing's code: the token.
pub async fn exchange(app: &TestApp, landed: &url::Url) -> String {
    let code = param(landed, "code").unwrap_or_else(|| panic!("a code in {landed}"));
    let reply = app
        .call(
            reqwest::Method::POST,
            "/auth/sso/exchange/",
            None,
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["token"].as_str().unwrap().to_owned()
}

async fn setup(jit: bool) -> (TestApp, Provider, String, String) {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let mut body = connection(&provider.issuer, &["corp.example"]);
    body["jit"] = json!(jit);
    let created = app.create("/sso/connections/", &owner, body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    (app, provider, owner, id)
}

#[actix_web::test]
async fn a_new_person_signs_in_and_gets_an_account_once() {
    let (app, _provider, owner, connection_id) = setup(true).await;
    let browser = browser();
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    let first = browser.get(&start).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::FOUND);
    let cookie = first
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let to = location(&start, &first);
    assert!(to.contains("code_challenge_method=S256"), "{to}");
    assert!(to.contains("nonce=") && to.contains("state="), "{to}");

    let callback = to_callback(&app, &browser, &start, "alice").await;
    let landed = land(&browser, &callback).await;
    assert_eq!(param(&landed, "error"), None, "{landed}");
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert_eq!(profile.body["email"], "alice@corp.example");
    assert_eq!(profile.body["source"], "OIDC");
    assert_eq!(profile.body["state"], "ACTIVE");
    let id = profile.body["id"].as_str().unwrap().to_owned();

    // The code works once; so does the provider's answer.
    let again = app
        .call(
            reqwest::Method::POST,
            "/auth/sso/exchange/",
            None,
            Some(json!({"code": param(&landed, "code").unwrap()})),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert!(again.body["code"].is_array(), "{}", again.body);
    let replayed = browser.get(&callback).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);

    // A second sign-in finds the same account (by subject).
    let landed = sign_in(&app, "alice@corp.example", "alice").await;
    let token = exchange(&app, &landed).await;
    assert_eq!(app.get("/profile/", &token).await.body["id"], id.as_str());
    let listed = app.get("/users/?search=alice@corp.example", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);

    let trail = app.get("/audit-events/?length=100", &owner).await;
    let actions: Vec<&str> = trail.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auth.sso_login"), "{actions:?}");
    assert!(actions.contains(&"user.created"), "{actions:?}");
    for event in trail.body["results"].as_array().unwrap() {
        if event["object"]["id"] == id.as_str()
            && ["user.created", "auth.sso_login"].contains(&event["action"].as_str().unwrap())
        {
            assert_eq!(event["interface"], "sso", "{event}");
        }
    }
}

/// Deactivates `user` (whose provider login is `login`, at corp.example):
/// its next sign-in lands with `error=user_inactive`.
async fn refused_once_deactivated(app: &TestApp, owner: &str, user: &str, login: &str) {
    let patched = app
        .patch(&format!("/users/{user}/"), owner, json!({"active": false}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let refused = sign_in(app, &format!("{login}@corp.example"), login).await;
    assert_eq!(
        param(&refused, "error").as_deref(),
        Some("user_inactive"),
        "{refused}"
    );
}

#[actix_web::test]
async fn an_existing_person_is_linked_and_unknown_ones_are_refused_without_jit() {
    let (app, _provider, owner, _) = setup(false).await;
    let bob = app
        .create_member(&owner, "bob@corp.example", "VIEWER")
        .await;
    let landed = sign_in(&app, "bob@corp.example", "bob").await;
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["id"], bob.as_str(), "{}", profile.body);
    assert_eq!(profile.body["source"], "MANUAL");

    // Without JIT, nobody else gets in.
    let refused = sign_in(&app, "carol@corp.example", "carol").await;
    assert_eq!(
        param(&refused, "error").as_deref(),
        Some("unknown_user"),
        "{refused}"
    );
    assert_eq!(param(&refused, "code"), None);
    // An email the provider has not verified links nothing.
    app.create_member(&owner, "eve@corp.example", "VIEWER")
        .await;
    let refused = sign_in(&app, "eve@corp.example", "eve").await;
    assert_eq!(
        param(&refused, "error").as_deref(),
        Some("email_not_verified"),
        "{refused}"
    );
    // A deactivated person is refused, and nothing of the sign-in stays:
    // not even the link to the subject made before the refusal was known.
    let dan = app
        .create_member(&owner, "dan@corp.example", "VIEWER")
        .await;
    refused_once_deactivated(&app, &owner, &dan, "dan").await;
    let updates = app
        .get(
            &format!("/audit-events/?action=user.updated&object_id={dan}&length=100"),
            &owner,
        )
        .await;
    // (The deactivation is `user.deactivated`: no `user.updated` at all.)
    assert_eq!(
        updates.body["count"],
        json!(0),
        "no link kept: {}",
        updates.body
    );
    refused_once_deactivated(&app, &owner, &bob, "bob").await;

    let trail = app
        .get(
            "/audit-events/?action=auth.sso_login_failed&length=100",
            &owner,
        )
        .await;
    assert!(
        trail.body["count"].as_i64().unwrap_or(0) >= 3,
        "{}",
        trail.body
    );
}

#[actix_web::test]
async fn a_tampered_state_or_another_browser_is_refused() {
    let (app, _provider, _owner, connection_id) = setup(true).await;
    let browser = browser();
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    let callback = to_callback(&app, &browser, &start, "alice").await;
    let mut tampered = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    let reply = browser.get(tampered.as_str()).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
    let reply = browser
        .get(app.url("/sso/oidc/callback/?code=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);

    // The right state from a browser without the cookie: refused, and the
    // sign-in is spent.
    let stranger = self::browser();
    let landed = land(&stranger, &callback).await;
    assert_eq!(
        param(&landed, "error").as_deref(),
        Some("invalid_state"),
        "{landed}"
    );
    let reply = browser.get(&callback).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn required_sso_refuses_passwords_except_for_owners() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    app.create_member(&owner, "bob@example.com", "ADMIN").await;
    let mut body = connection(&provider.issuer, &["example.com"]);
    body["enforcement"] = json!("required");
    app.create("/sso/connections/", &owner, body).await;

    let refused = app
        .try_login("bob@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body["non_field_errors"][0]
            .as_str()
            .is_some_and(|m| m.contains("/sso/login/")),
        "{}",
        refused.body
    );
    // Nor may an invitee of the domain choose a password.
    let invitee = app
        .create(
            "/users/",
            &owner,
            json!({"email": "new@example.com", "name": "New"}),
        )
        .await;
    let invited = app
        .post("/invitations/", &owner, json!({"user": invitee["id"]}))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let token = crate::helpers::link_token(invited.body["link"].as_str().unwrap());
    let accepted = app
        .call(
            reqwest::Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": token, "password": "a-Long-pass-phrase-42"})),
        )
        .await;
    assert_eq!(
        accepted.status,
        StatusCode::BAD_REQUEST,
        "{}",
        accepted.body
    );
    assert!(
        accepted.body["non_field_errors"][0]
            .as_str()
            .is_some_and(|m| m.contains("/sso/login/")),
        "{}",
        accepted.body
    );
    // OWNERs keep password sign-in (break-glass), audited.
    let owner = app.owner_token().await;
    let trail = app
        .get("/audit-events/?action=auth.break_glass", &owner)
        .await;
    assert_eq!(trail.body["count"], 1, "{}", trail.body);
}

#[actix_web::test]
async fn group_mapping_sets_roles_and_stays_in_its_organization() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let team = app.create("/teams/", &owner, json!({"name": "Eng"})).await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let ops = app.create("/teams/", &owner, json!({"name": "Ops"})).await;
    let ops_id = ops["id"].as_str().unwrap().to_owned();
    let mut body = connection(&provider.issuer, &["corp.example"]);
    body["group_mapping"] = json!([
        {"group": "engineering", "role": "EMPLOYEE", "team": team_id},
        {"group": "admins", "role": "ADMIN"},
        {"group": "operations", "role": "VIEWER", "team": ops_id},
    ]);
    app.create("/sso/connections/", &owner, body).await;
    // Another organization has its own alice@corp.example.
    let other = app.second_organization("owner@other.example").await;
    let other_alice = app
        .create_member(&other, "alice@corp.example", "VIEWER")
        .await;

    // bob is in no group, but was given the Ops role by hand: removed.
    let bob = app
        .create_member(&owner, "bob@corp.example", "EMPLOYEE")
        .await;
    let given = app
        .patch(
            &format!("/users/{bob}/"),
            &owner,
            json!({"user_roles": [{"role": "EMPLOYEE", "scope": {"tier": "account"}},
                                  {"role": "VIEWER", "team": ops_id}]}),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    exchange(&app, &sign_in(&app, "bob@corp.example", "bob").await).await;
    let bob_now = app.get(&format!("/users/{bob}/"), &owner).await;
    assert_eq!(
        bob_now.body["user_roles"].as_array().unwrap().len(),
        1,
        "{}",
        bob_now.body
    );

    let token = exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
    let profile = app.get("/profile/", &token).await;
    assert_ne!(profile.body["id"], other_alice.as_str());
    let roles = profile.body["user_roles"].to_string();
    assert!(roles.contains("ADMIN"), "{roles}");
    assert!(roles.contains(&team_id), "{roles}");
    // The other organization's alice is untouched.
    let theirs = app.get(&format!("/users/{other_alice}/"), &other).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["source"], "MANUAL");
    assert_eq!(theirs.body["last_login"], Value::Null);
}

/// A person provisioned over SCIM by the identity provider's client (an
/// ADMIN API user it creates), with `external_id` as its externalId: the
/// SCIM resource created.
pub async fn provision_by_scim(
    app: &TestApp,
    owner: &str,
    email: &str,
    external_id: &str,
) -> Value {
    let idp = app
        .post(
            "/api-users/",
            owner,
            json!({"name": "idp", "email": "idp@example.com", "user_roles": [{"role": "ADMIN"}]}),
        )
        .await;
    assert_eq!(idp.status, StatusCode::CREATED, "{}", idp.body);
    let key = app
        .post(
            &format!("/api-users/{}/keys/", idp.body["id"].as_str().unwrap()),
            owner,
            json!({"name": "scim"}),
        )
        .await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    let provisioned = app
        .client
        .post(app.url("/scim/v2/Users"))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                   "userName": email, "externalId": external_id,
                   "displayName": "Alice Smith"})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(provisioned.status(), StatusCode::CREATED);
    provisioned.json().await.unwrap()
}

#[actix_web::test]
async fn a_scim_provisioned_person_is_found_by_subject_not_duplicated() {
    let (app, _provider, owner, _) = setup(true).await;
    // Provisioned over SCIM under another email, with the provider's subject.
    let provisioned = provision_by_scim(&app, &owner, "a.smith@corp.example", "alice").await;
    let id = provisioned["id"].as_str().unwrap().to_owned();

    let token = exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["id"], id.as_str(), "{}", profile.body);
    assert_eq!(profile.body["email"], "a.smith@corp.example");
    let listed = app.get("/users/?search=corp.example", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);

    // The same subject on a person outside the connection's domains (another
    // provider's subject, say) is never signed in through it.
    let patched = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"email": "a.smith@elsewhere.example"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let refused = sign_in(&app, "alice@corp.example", "alice").await;
    assert_eq!(
        param(&refused, "error").as_deref(),
        Some("account_conflict"),
        "{refused}"
    );
}

#[actix_web::test]
async fn id_tokens_expired_or_issued_in_the_future_are_refused() {
    for offset in ["-7200", "3600"] {
        let app = spawn_app().await;
        let provider = Provider::start_with(&app, &[("CLOCK_OFFSET", offset)]);
        let owner = app.owner_token().await;
        app.create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["corp.example"]),
        )
        .await;
        let landed = sign_in(&app, "alice@corp.example", "alice").await;
        assert_eq!(
            param(&landed, "error").as_deref(),
            Some("invalid_token"),
            "clock {offset}: {landed}"
        );
        assert_eq!(param(&landed, "code"), None);
        let trail = app
            .get("/audit-events/?action=auth.sso_login_failed", &owner)
            .await;
        assert_eq!(trail.body["count"], 1, "{}", trail.body);
    }
}

#[actix_web::test]
async fn anonymous_starts_are_bounded_per_connection_and_share_one_discovery() {
    let app = spawn_app_with(|s| s.sso_pending_max = 2).await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let created = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["corp.example"]),
        )
        .await;
    let start = app.url(&format!("/sso/login/{}/", created["id"].as_str().unwrap()));
    for _ in 0..2 {
        let reply = browser().get(&start).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::FOUND);
        assert!(location(&start, &reply).starts_with(&provider.issuer));
    }
    // Two sign-ins under way: a third start waits, whoever asks.
    let refused = browser().get(&start).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "60");
    // Once they expire, starts go on again (a refused start's pruning is
    // rolled back with it: expired sign-ins must not count).
    {
        use diesel::{ExpressionMethods, RunQueryDsl};
        use tessera::db::schema::sso_logins;
        let url = tessera::db::DatabaseUrl::parse(&app.database_url).unwrap();
        let mut conn = tessera::db::establish(&url).unwrap();
        let past = tessera::domain::time::now() - chrono::TimeDelta::minutes(11);
        diesel::update(sso_logins::table)
            .set(sso_logins::expires.eq(past))
            .execute(&mut conn)
            .unwrap();
    }
    let reply = browser().get(&start).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::FOUND);
    let other = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&provider.issuer, &["other.example"]),
        )
        .await;
    let elsewhere = app.url(&format!("/sso/login/{}/", other["id"].as_str().unwrap()));
    // The limit is per connection; and starts reuse the discovery document
    // fetched a moment ago, so they go on while the provider is down (its
    // callback, which needs its current keys, would not).
    let issuer = provider.issuer.clone();
    drop(provider);
    let reply = browser().get(&elsewhere).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::FOUND);
    assert!(location(&elsewhere, &reply).starts_with(&issuer));
}

#[actix_web::test]
async fn a_provider_key_rotation_needs_nothing_from_the_operator() {
    let (app, provider, _owner, _) = setup(true).await;
    let jwks = |issuer: String| async move {
        let keys: Value = reqwest::get(format!("{issuer}/jwks"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys["keys"][0]["kid"].as_str().unwrap().to_owned()
    };
    let before = jwks(provider.issuer.clone()).await;
    exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
    // The provider restarts on the same issuer with a new signing key.
    let issuer = provider.issuer.clone();
    let port = issuer.rsplit(':').next().unwrap().to_owned();
    drop(provider);
    let provider = Provider::start_with(&app, &[("PORT", port.as_str())]);
    assert_eq!(provider.issuer, issuer);
    assert_ne!(jwks(issuer).await, before);
    exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
}

#[actix_web::test]
async fn a_mapping_never_changes_an_owners_membership() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let mut body = connection(&provider.issuer, &["corp.example"]);
    body["group_mapping"] = json!([{"group": "admins", "role": "VIEWER"}]);
    app.create("/sso/connections/", &owner, body).await;
    // alice is in "admins" at the provider, and an OWNER here.
    let alice = app
        .create_member(&owner, "alice@corp.example", "OWNER")
        .await;
    let token = exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["id"], alice.as_str());
    assert!(
        profile.body["user_roles"].to_string().contains("OWNER"),
        "{}",
        profile.body
    );
    // A sign-in that changes no role writes no user.updated event.
    let path = "/audit-events/?action=user.updated&length=100";
    let before = app.get(path, &owner).await.body["count"].clone();
    exchange(&app, &sign_in(&app, "alice@corp.example", "alice").await).await;
    assert_eq!(app.get(path, &owner).await.body["count"], before);
}

#[actix_web::test]
async fn a_provider_that_is_down_sends_the_browser_back_with_an_error() {
    let (app, provider, owner, connection_id) = setup(true).await;
    drop(provider);
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    let reply = browser().get(&start).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::FOUND);
    let landed = url::Url::parse(&location(&start, &reply)).unwrap();
    assert!(landed.as_str().starts_with(FRONTEND), "{landed}");
    assert_eq!(
        param(&landed, "error").as_deref(),
        Some("connection_unavailable")
    );
    let trail = app
        .get("/audit-events/?action=auth.sso_login_failed", &owner)
        .await;
    assert_eq!(trail.body["count"], 1, "{}", trail.body);
    // Unknown domains and connections are 404s (no frontend is known).
    let unknown = browser()
        .get(app.url("/sso/login/?email=x@nowhere.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unknown = browser()
        .get(app.url("/sso/login/NoSuchConn12/"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// Chromium's path (Debian's package; `tests/run.sh` installs it).
pub fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Signs `person` in from `start` in Chromium, driven by `script` (in
/// tests/oidc) as a person would: where the browser lands on the frontend.
pub async fn sign_in_in_chromium(script: &str, start: &str, person: &str) -> url::Url {
    npm_ci();
    let chromium = chromium();
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is needed at {chromium} (apt-get install chromium, or set CHROMIUM)"
    );
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args([start, person, FRONTEND])
        .env("CHROMIUM", &chromium)
        .current_dir(provider_dir())
        .output()
        .await
        .unwrap_or_else(|_| panic!("Node.js is needed to drive Chromium (tests/oidc/{script})"));
    assert!(
        output.status.success(),
        "the browser's sign-in failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    url::Url::parse(String::from_utf8_lossy(&output.stdout).trim()).unwrap()
}

#[actix_web::test]
async fn a_person_signs_in_with_a_real_browser() {
    let (app, _provider, _owner, _) = setup(true).await;
    let start = app.url("/sso/login/?email=alice@corp.example");
    let landed = sign_in_in_chromium("browser.mjs", &start, "alice").await;
    assert_eq!(param(&landed, "error"), None, "{landed}");
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(
        profile.body["email"], "alice@corp.example",
        "{}",
        profile.body
    );
}

#[actix_web::test]
async fn a_person_who_cancels_at_the_provider_lands_with_an_error() {
    let (app, _provider, owner, connection_id) = setup(true).await;
    let browser = browser();
    let mut url = app.url(&format!("/sso/login/{connection_id}/"));
    // Up to the provider's login page.
    let html = loop {
        let response = browser.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            url = location(&url, &response);
            continue;
        }
        break response.text().await.unwrap();
    };
    let cancel = html
        .split("\">[ Cancel ]")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .unwrap_or_else(|| panic!("a cancel link: {html}"));
    let cancel = url::Url::parse(&url)
        .unwrap()
        .join(cancel)
        .unwrap()
        .to_string();
    let callback = to_callback(&app, &browser, &cancel, "unused").await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let landed = land(&browser, &callback).await;
    assert_eq!(param(&landed, "error").as_deref(), Some("provider_error"));
    let trail = app
        .get("/audit-events/?action=auth.sso_login_failed", &owner)
        .await;
    assert_eq!(trail.body["count"], 1, "{}", trail.body);
    assert_eq!(
        trail.body["results"][0]["changes"]["error"], "provider_error",
        "{}",
        trail.body
    );
}

#[actix_web::test]
async fn a_code_injected_into_another_sign_in_is_refused() {
    let (app, _provider, _owner, connection_id) = setup(true).await;
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    // The victim's sign-in is under way in their browser...
    let victim = browser();
    let first = victim.get(&start).send().await.unwrap();
    let to_provider = url::Url::parse(&location(&start, &first)).unwrap();
    let victim_state = param(&to_provider, "state").unwrap();
    // ...and the attacker pastes in a code of their own (from their sign-in).
    let attacker = browser();
    let theirs = url::Url::parse(&to_callback(&app, &attacker, &start, "mallory").await).unwrap();
    let code = param(&theirs, "code").unwrap();
    let mut injected = url::Url::parse(&app.url("/sso/oidc/callback/")).unwrap();
    injected
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &victim_state);
    // The code was issued for another PKCE challenge (and nonce): refused.
    let landed = land(&victim, injected.as_str()).await;
    assert_eq!(
        param(&landed, "error").as_deref(),
        Some("invalid_token"),
        "{landed}"
    );
    assert_eq!(param(&landed, "code"), None);
}

/// The console's single sign-on: the code the provider's answer lands with
/// becomes a session only in the browser that started the sign-in from the
/// console. A code carried to another browser (login CSRF: an attacker's
/// own code in a link to a victim) or from a sign-in started elsewhere
/// signs no one in.
#[actix_web::test]
async fn the_console_takes_a_code_only_from_the_browser_that_started_it() {
    let app = spawn_app().await;
    let provider = Provider::start(&app);
    let owner = app.owner_token().await;
    let mut body = connection(&provider.issuer, &["corp.example"]);
    body["redirect_uri"] = json!(app.url("/console/sso"));
    app.create("/sso/connections/", &owner, body).await;
    let start = app.url("/console/sso/start?email=mallory@corp.example");
    let landing = |browser: reqwest::Client, callback: String| async move {
        let response = browser.get(&callback).send().await.expect("callback");
        assert_eq!(response.status(), StatusCode::FOUND, "{callback}");
        let to = location(&callback, &response);
        let url = url::Url::parse(&to).unwrap();
        assert_eq!(url.path(), "/console/sso", "{to}");
        to
    };
    let session_set = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|line| {
                line.starts_with("tessera_console=") && !line.starts_with("tessera_console=;")
            })
    };

    // The attacker's own sign-in, its code sent to a victim's browser.
    let attacker = browser();
    let callback = to_callback(&app, &attacker, &start, "mallory").await;
    let carried = landing(attacker.clone(), callback).await;
    let victim = browser();
    let refused = victim.get(&carried).send().await.unwrap();
    assert!(!session_set(&refused));
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let page = refused.text().await.unwrap();
    assert!(page.contains("started in another browser"), "{page}");
    // Refused there, the code still works in the browser that started it.
    let own = attacker.get(&carried).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
    assert!(session_set(&own));

    // A sign-in started outside the console (`/sso/login/`): refused too.
    let elsewhere = browser();
    let rest_start = app.url("/sso/login/?email=mallory@corp.example");
    let callback = to_callback(&app, &elsewhere, &rest_start, "mallory").await;
    let landed = landing(elsewhere.clone(), callback).await;
    let refused = elsewhere.get(&landed).send().await.unwrap();
    assert!(!session_set(&refused));

    // A code is good once.
    let again = attacker.get(&carried).send().await.unwrap();
    assert!(!session_set(&again));
    let people = attacker
        .get(app.url("/console/people"))
        .send()
        .await
        .unwrap();
    assert_eq!(people.status(), StatusCode::OK);
}
