//! `spawn_app()` and the small HTTP vocabulary the tests share.

use std::path::PathBuf;
use std::process::Command;

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::config::{MailSettings, Settings, TokenSettings, WebhookSettings};
use tessera::startup::Application;

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const OWNER_PASSWORD: &str = "owner-pass-1";
pub const PASSWORD: &str = "member-pass-1";
/// The key secrets are encrypted with in tests.
pub const ENCRYPTION_KEY: &str = "7e5f0c9a1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b";

/// Where a test's database lives; dropped with the test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A database another guard keeps (a second server on it).
    Shared,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    _db: TestDb,
}

/// Response status and JSON body (`Value::Null` when there is none).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// A fresh database for one test: its URL, and a guard that drops it.
pub fn fresh_database() -> (String, TestDb) {
    match std::env::var("TESSERA_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!(
                "tessera_test_{}",
                tessera::domain::id::random_secret(12).to_lowercase()
            );
            let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                panic!("TESSERA_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
            });
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create the test database");
            let mut url = url::Url::parse(&admin_url).expect("TESSERA_TEST_POSTGRES_URL is a URL");
            url.set_path(&name);
            (url.to_string(), TestDb::Postgres { admin_url, name })
        }
        _ => fresh_sqlite_database(),
    }
}

pub fn settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".into(),
        secret_key: Some("test-secret-key-test-secret-key-0123456789".into()),
        encryption_key: Some(ENCRYPTION_KEY.into()),
        workers: Some(2),
        cors_origins: vec!["https://app.example.com".into()],
        mcp_allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        db_pool_size: 4,
        token_ttl: 3600,
        hash_concurrency: 2,
        login_max_failures: 1000,
        login_window: 300,
        sso_pending_max: 20_000,
        trusted_proxies: Vec::new(),
        bootstrap_org: "Acme".into(),
        bootstrap_email: OWNER_EMAIL.into(),
        bootstrap_password: Some(OWNER_PASSWORD.into()),
        log_format: "text".into(),
        audit_retention_days: 365,
        audit_prune_interval: 3600,
        scim_group_role: "EMPLOYEE".into(),
        tokens: TokenSettings::default(),
        mail: MailSettings::default(),
        webhooks: WebhookSettings::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, db) = fresh_database();
    spawn_app_on(database_url, db, adjust).await
}

/// A fresh SQLite database, whatever `TESSERA_TEST_POSTGRES_URL` says.
pub fn fresh_sqlite_database() -> (String, TestDb) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = dir.path().join("tessera.db");
    (
        format!("sqlite://{}", path.display()),
        TestDb::Sqlite { _dir: dir },
    )
}

/// Starts the application on the database `database_url` (kept as long as
/// the app by `db`), with settings adjusted by `adjust`.
pub async fn spawn_app_on(
    database_url: String,
    db: TestDb,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = settings(&database_url);
    adjust(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        database_url,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends `body` as JSON (when given) with `token` as `JWT <token>`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("JWT {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// POSTs `body` to a collection and returns the created object (panics unless 201).
    pub async fn create(&self, path: &str, token: &str, body: Value) -> Value {
        let reply = self.post(path, token, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "create at {path} {body}: {}",
            reply.body
        );
        reply.body
    }

    /// A login attempt's answer, whatever it is.
    pub async fn try_login(&self, email: &str, password: &str) -> Reply {
        self.call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": email, "password": password})),
        )
        .await
    }

    /// Logs in and returns the token (panics with the answer otherwise).
    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/auth/obtain/",
                None,
                Some(json!({"username": email, "password": password})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login of {email}: {}",
            reply.body
        );
        reply.body["token"].as_str().expect("a token").to_owned()
    }

    pub async fn owner_token(&self) -> String {
        self.login(OWNER_EMAIL, OWNER_PASSWORD).await
    }

    /// Creates a person with `role` as membership role and `PASSWORD`; returns its id.
    pub async fn create_member(&self, token: &str, email: &str, role: &str) -> String {
        let reply = self
            .post(
                "/users/",
                token,
                json!({"email": email, "name": email.split('@').next().unwrap(), "password": PASSWORD,
                       "user_roles": [{"role": role, "scope": {"tier": "account"}}]}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "create {email}: {}",
            reply.body
        );
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a member and logs it in: (id, token).
    pub async fn member(&self, owner_token: &str, email: &str, role: &str) -> (String, String) {
        let id = self.create_member(owner_token, email, role).await;
        (id, self.login(email, PASSWORD).await)
    }

    /// Creates a second organization with the `tessera bootstrap` command,
    /// as an operator would; returns its OWNER's token.
    pub async fn second_organization(&self, email: &str) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "bootstrap",
                "--org",
                "Other Org",
                "--email",
                email,
                "--password",
                OWNER_PASSWORD,
            ])
            .env("TESSERA_DATABASE_URL", &self.database_url)
            .output()
            .expect("run tessera bootstrap");
        assert!(
            output.status.success(),
            "bootstrap failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let reply = self
            .call(
                Method::POST,
                "/auth/obtain/",
                None,
                Some(json!({"username": email, "password": OWNER_PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// The id of the user a token belongs to (from `/users/?search=`).
    pub async fn id_of(&self, token: &str, email: &str) -> String {
        let reply = self.get(&format!("/users/?search={email}"), token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap_or_else(|| panic!("{email} not listed: {}", reply.body))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("response body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The token a mailed (or development-mode) link carries.
pub fn link_token(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_owned()
}

/// A test peer's process, stopped when dropped.
pub struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a test peer (an identity provider) that announces itself with one
/// JSON line on its standard output, and keeps reading what it prints after,
/// so its writes never meet a closed pipe. `what` names it in failures.
pub fn spawn_announced(
    command: &mut std::process::Command,
    what: &str,
) -> (Peer, serde_json::Value) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    stdout
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{what} does not announce itself: {e}"));
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let started =
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("{what} did not start: {line:?}"));
    (Peer(child), started)
}
