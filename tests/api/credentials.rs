//! When credentials end (API.md §3): deactivation ends a user's tokens and
//! API keys for good, whichever interface deactivates it; a password change
//! or reset, and turning MFA on, end every earlier token; revoking a token
//! ends every token refreshed from the same login; and link tokens never
//! reach the log.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

// ---------------------------------------------------------------- helpers

/// `GET /profile/` with `Bearer <credential>`.
async fn profile_with(app: &TestApp, credential: &str) -> Reply {
    let request = app.client.get(app.url("/profile/")).bearer_auth(credential);
    Reply::from(request.send().await.expect("request sent")).await
}

async fn assert_refused(app: &TestApp, credential: &str, what: &str) {
    let reply = profile_with(app, credential).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.body
    );
}

async fn assert_accepted(app: &TestApp, credential: &str, what: &str) {
    let reply = profile_with(app, credential).await;
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
}

/// A new API key at `path` (`/keys/` or `/api-users/{id}/keys/`): its secret.
async fn new_key(app: &TestApp, token: &str, path: &str) -> String {
    let key = app.create(path, token, json!({"name": "laptop"})).await;
    key["key"].as_str().expect("a key secret").to_owned()
}

/// Sets `active` through REST (`/users/` or `/api-users/`).
async fn set_active(app: &TestApp, owner: &str, path: &str, active: bool) {
    let reply = app.patch(path, owner, json!({"active": active})).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "active={active}: {}",
        reply.body
    );
    assert_eq!(reply.body["active"], active);
}

/// A person with a token and a key of its own: (id, token, key).
async fn person_with_key(app: &TestApp, owner: &str, email: &str) -> (String, String, String) {
    let (id, token) = app.member(owner, email, "EMPLOYEE").await;
    let key = new_key(app, &token, "/keys/").await;
    assert_accepted(app, &key, "a fresh key").await;
    (id, token, key)
}

/// After deactivation (by whatever interface) and reactivation through
/// REST, the person's earlier token and key stay dead, and the key is gone
/// from its list.
async fn assert_ended_for_good(app: &TestApp, owner: &str, id: &str, token: &str, key: &str) {
    assert_refused(app, token, "a token of the deactivated person").await;
    assert_refused(app, key, "a key of the deactivated person").await;
    set_active(app, owner, &format!("/users/{id}/"), true).await;
    assert_refused(app, token, "an earlier token after reactivation").await;
    assert_refused(app, key, "an earlier key after reactivation").await;
    let fresh = app
        .login(
            app.get(&format!("/users/{id}/"), owner).await.body["email"]
                .as_str()
                .unwrap(),
            crate::helpers::PASSWORD,
        )
        .await;
    let keys = app.get("/keys/", &fresh).await;
    assert_eq!(keys.status, StatusCode::OK, "{}", keys.body);
    assert_eq!(keys.body, json!([]), "the earlier keys are gone");
}

// ---------------------------------------------------------------- deactivation

#[actix_web::test]
async fn deactivation_through_rest_ends_keys_and_tokens_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "dev@example.com").await;
    set_active(&app, &owner, &format!("/users/{id}/"), false).await;
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;

    // An API user's keys too.
    let bot = app
        .create(
            "/api-users/",
            &owner,
            json!({"name": "bot", "email": "bot@example.com"}),
        )
        .await;
    let bot_path = format!("/api-users/{}/", bot["id"].as_str().unwrap());
    let bot_key = new_key(&app, &owner, &format!("{bot_path}keys/")).await;
    assert_accepted(&app, &bot_key, "the API user's fresh key").await;
    set_active(&app, &owner, &bot_path, false).await;
    set_active(&app, &owner, &bot_path, true).await;
    assert_refused(&app, &bot_key, "an API user's key after reactivation").await;
    let keys = app.get(&format!("{bot_path}keys/"), &owner).await;
    assert_eq!(keys.body, json!([]), "{}", keys.body);
}

#[actix_web::test]
async fn deactivation_through_scim_and_mcp_ends_keys_for_good() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;

    let (id, token, key) = person_with_key(&app, &owner, "scim@example.com").await;
    let reply = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&owner)
        .header("Content-Type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "path": "active", "value": false}]})
            .to_string(),
        )
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "SCIM: {}", reply.body);
    assert_eq!(reply.body["active"], false);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;

    let (id, token, key) = person_with_key(&app, &owner, "mcp@example.com").await;
    let org = app.get("/account/", &owner).await.body["id"].clone();
    let reply = app
        .client
        .post(app.url("/api/mcp/v1"))
        .bearer_auth(&owner)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "deactivateUser",
                                 "arguments": {"organization_id": org, "profile_id": id}}}))
        .send()
        .await
        .expect("request sent");
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "MCP: {}", reply.body);
    assert_eq!(reply.body["result"]["isError"], false, "{}", reply.body);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;
}

#[actix_web::test]
async fn deactivation_by_the_scheduler_ends_keys_for_good() {
    let app = spawn_app_with(|s| s.webhooks.scheduler_interval = 1).await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "leaver@example.com").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let path = format!("/users/{id}/");
    let reply = app
        .patch(&path, &owner, json!({"contract_end_date": yesterday}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut state = Value::Null;
    for _ in 0..100 {
        state = app.get(&path, &owner).await.body["state"].clone();
        if state == "DEACTIVATED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "DEACTIVATED");
    // Reactivated with the contract extended, so the scheduler leaves it be.
    let reply = app
        .patch(&path, &owner, json!({"contract_end_date": null}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_ended_for_good(&app, &owner, &id, &token, &key).await;
}

#[actix_web::test]
async fn inviting_a_deactivated_user_keeps_its_old_credentials_dead() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token, key) = person_with_key(&app, &owner, "back@example.com").await;
    set_active(&app, &owner, &format!("/users/{id}/"), false).await;
    let invited = app
        .create("/invitations/", &owner, json!({"user": id}))
        .await;
    let link = invited["link"].as_str().expect("a development-mode link");
    let reply = app
        .call(
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": crate::helpers::link_token(link), "password": "chosen-pass-7"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_refused(&app, &token, "a token from before, after the invitation").await;
    assert_refused(&app, &key, "a key from before, after the invitation").await;
    let fresh = app.login("back@example.com", "chosen-pass-7").await;
    assert_eq!(app.get("/keys/", &fresh).await.body, json!([]));
}

// ---------------------------------------------------------------- password changes and MFA

/// `POST /auth/refresh/`: the new token (panics unless 200).
async fn refreshed(app: &TestApp, token: &str) -> String {
    let reply = app
        .call(
            Method::POST,
            "/auth/refresh/",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "refresh: {}", reply.body);
    reply.body["token"].as_str().expect("a token").to_owned()
}

/// A token and one refreshed from it, both working.
async fn two_tokens(app: &TestApp, email: &str, password: &str) -> [String; 2] {
    let token = app.login(email, password).await;
    let again = refreshed(app, &token).await;
    assert_accepted(app, &token, "a fresh token").await;
    assert_accepted(app, &again, "a fresh refreshed token").await;
    [token, again]
}

async fn assert_all_refused(app: &TestApp, tokens: &[String], what: &str) {
    for token in tokens {
        assert_refused(app, token, what).await;
    }
}

#[actix_web::test]
async fn every_way_of_setting_a_password_ends_earlier_tokens() {
    let sink = crate::smtp::SmtpSink::start(crate::smtp::Mode::Accept).await;
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.mail_retry_delay_ms = 50;
    })
    .await;
    let owner = app.owner_token().await;
    let id = app
        .create_member(&owner, "dev@example.com", "EMPLOYEE")
        .await;
    let old = crate::helpers::PASSWORD;

    // Set by an administrator.
    let tokens = two_tokens(&app, "dev@example.com", old).await;
    let reply = app
        .patch(
            &format!("/users/{id}/"),
            &owner,
            json!({"password": "admin-set-pass-4"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_all_refused(&app, &tokens, "after an administrator set the password").await;

    // Changed by the user itself.
    let tokens = two_tokens(&app, "dev@example.com", "admin-set-pass-4").await;
    let reply = app
        .post(
            "/profile/change_password/",
            &tokens[1],
            json!({"current_password": "admin-set-pass-4", "password": "own-choice-pass-5",
                   "confpassword": "own-choice-pass-5"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_all_refused(&app, &tokens, "after the user changed its password").await;

    // Reset through a mailed link.
    let tokens = two_tokens(&app, "dev@example.com", "own-choice-pass-5").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/password_reset/",
            None,
            Some(json!({"email": "dev@example.com"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let link = sink.wait_for(1).await[0].link("/auth/password_reset/confirm/");
    let reply = app
        .call(
            Method::POST,
            "/auth/password_reset/confirm/",
            None,
            Some(json!({"token": crate::helpers::link_token(&link), "password": "after-reset-pass-6"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_all_refused(&app, &tokens, "after a password reset").await;
    two_tokens(&app, "dev@example.com", "after-reset-pass-6").await;
}

#[actix_web::test]
async fn turning_mfa_on_ends_earlier_tokens() {
    use crate::mfa::{code, usable_step};

    let app = spawn_app().await;
    let owner = app.owner_token().await;
    app.create_member(&owner, "ann@example.com", "EMPLOYEE")
        .await;
    let password = crate::helpers::PASSWORD;
    let tokens = two_tokens(&app, "ann@example.com", password).await;
    let enrolled = app.post("/profile/mfa/", &tokens[0], json!({})).await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.body);
    let secret = enrolled.body["secret"].as_str().unwrap().to_owned();
    let confirmed = usable_step(None).await;
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &tokens[0],
            json!({"otp": code(&secret, confirmed)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_all_refused(&app, &tokens, "a token from before MFA was on").await;

    // The client logs in again, now with a code.
    let reply = app.try_login("ann@example.com", password).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.get("otp").is_some(), "{}", reply.body);
    let step = usable_step(Some(confirmed)).await;
    let reply = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": "ann@example.com", "password": password,
                        "otp": code(&secret, step)})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap();
    let profile = profile_with(&app, token).await;
    assert_eq!(profile.body["mfa_enabled"], true, "{}", profile.body);
}

// ---------------------------------------------------------------- logs

/// The built `tessera serve` in a child process, with its log (stderr)
/// collected, as an operator would run it: default log levels.
struct LoggedServer {
    child: std::process::Child,
    address: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    _db: crate::helpers::TestDb,
}

impl LoggedServer {
    fn start(log_format: &str) -> Self {
        use std::io::{BufRead, BufReader, Read};
        use std::process::{Command, Stdio};
        use std::sync::{Arc, Mutex};

        let (database_url, db) = crate::helpers::fresh_database();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("serve")
            .env("TESSERA_DATABASE_URL", &database_url)
            .env("TESSERA_BIND", "127.0.0.1:0")
            .env("TESSERA_SECRET_KEY", "log-test-secret-key-0123456789abcdef")
            .env("TESSERA_ENCRYPTION_KEY", crate::helpers::ENCRYPTION_KEY)
            .env("TESSERA_BOOTSTRAP_EMAIL", crate::helpers::OWNER_EMAIL)
            .env("TESSERA_BOOTSTRAP_PASSWORD", crate::helpers::OWNER_PASSWORD)
            .env("TESSERA_WORKERS", "1")
            .env("TESSERA_LOG_FORMAT", log_format)
            .env_remove("RUST_LOG")
            .env_remove("TESSERA_SMTP_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tessera serve");
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut address = None;
        let mut line = String::new();
        while address.is_none() {
            line.clear();
            let read = stdout.read_line(&mut line).expect("the server's output");
            assert!(read > 0, "the server exited: {}", log.lock().unwrap());
            address = line
                .trim()
                .strip_prefix("Tessera is listening on ")
                .map(str::to_owned);
        }
        // Keep reading: a closed stdout would make the server's prints fail.
        let stdout_reader = std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        Self {
            child,
            address: address.unwrap(),
            log,
            readers: vec![stderr_reader, stdout_reader],
            _db: db,
        }
    }

    /// Waits (up to 10 s) until the log holds `text`.
    async fn wait_for_log(&self, text: &str) {
        for _ in 0..100 {
            if self.log.lock().unwrap().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{text:?} never logged:\n{}", self.log.lock().unwrap());
    }

    /// Stops the server; its whole log.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        self.log.lock().unwrap().clone()
    }
}

/// Sends `method path` to the child server, with a token and a JSON body.
async fn send(
    client: &reqwest::Client,
    server: &LoggedServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = client.request(method, format!("{}{path}", server.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

#[actix_web::test]
async fn link_tokens_and_other_secrets_in_urls_never_reach_the_log() {
    let client = reqwest::Client::new();
    for format in ["text", "json"] {
        let server = LoggedServer::start(format);
        let login = send(
            &client,
            &server,
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": crate::helpers::OWNER_EMAIL,
                        "password": crate::helpers::OWNER_PASSWORD})),
        )
        .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        let owner = login.body["token"].as_str().unwrap().to_owned();
        let user = send(
            &client,
            &server,
            Method::POST,
            "/users/",
            Some(&owner),
            Some(json!({"email": "invitee@example.com", "name": "Invitee"})),
        )
        .await;
        assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
        let invited = send(
            &client,
            &server,
            Method::POST,
            "/invitations/",
            Some(&owner),
            Some(json!({"user": user.body["id"]})),
        )
        .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
        let link = invited.body["link"]
            .as_str()
            .expect("a development-mode link");
        let token = crate::helpers::link_token(link);
        let path = format!("/invitations/accept/?token={token}");

        // The link's page, as a browser opens it; a broken use of it (a 4xx
        // is logged too); and other secrets a client might put in a URL.
        let page = send(&client, &server, Method::GET, &path, None, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let broken = send(&client, &server, Method::POST, &path, None, Some(json!({}))).await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
        let elsewhere = format!("/users/?search=inv&api_key=secret-{token}&jwt={owner}");
        let listed = send(
            &client,
            &server,
            Method::GET,
            &elsewhere,
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let accepted = send(
            &client,
            &server,
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": token, "password": "chosen-pass-7"})),
        )
        .await;
        assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);

        // Each request was logged (its path without the trailing slash),
        // its secrets redacted.
        server
            .wait_for_log("/invitations/accept?token=[redacted]")
            .await;
        server
            .wait_for_log("/users?search=inv&api_key=[redacted]&jwt=[redacted]")
            .await;
        let log = server.stop();
        assert!(
            !log.contains(&token),
            "a link token reached the {format} log:\n{log}"
        );
        assert!(
            !log.contains(&owner),
            "a bearer token reached the {format} log:\n{log}"
        );
    }
}
