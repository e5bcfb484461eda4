//! Secrets at rest (issue #18, §6): TOTP secrets, webhook secrets and the
//! generated token-signing key are stored encrypted. The tests read the
//! database directly (every column of every table) and find no plaintext,
//! then check that TOTP logins and signed deliveries still work: on a fresh
//! database, after plain rows from before encryption are sealed at start-up,
//! and after `tessera rotate-encryption-key`.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use diesel::prelude::*;
use diesel::sql_types::{Binary, Text};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tessera::crypto::EncryptionKey;
use tessera::db::schema::{settings, signing_keys, users, webhooks};
use tessera::db::{self, DatabaseUrl, DbConnection};
use tessera::startup::Application;

use crate::helpers::{ENCRYPTION_KEY, OWNER_EMAIL, PASSWORD, TestApp, settings, spawn_app_with};
use crate::mfa::{code, usable_step};
use crate::webhooks::{Receiver, verify};

const WEBHOOK_SECRET: &str = "whsec_at_rest_0123456789abcdef";
/// Another key, in base64 (the other accepted form).
const NEW_KEY: &str = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";

fn connect(database_url: &str) -> DbConnection {
    db::establish(&DatabaseUrl::parse(database_url).unwrap()).unwrap()
}

/// The public URL (token issuer) of every server of a test.
const ISSUER: &str = "http://tessera.test";

fn is_sqlite(database_url: &str) -> bool {
    database_url.starts_with("sqlite:")
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

/// SQLite's full-text index keeps binary columns: read as bytes.
#[derive(QueryableByName)]
struct RawRow {
    #[diesel(sql_type = Binary)]
    row: Vec<u8>,
}

/// Every row of every table (SQLite's internal and FTS tables included), as
/// text: what someone holding a copy of the database can read.
fn dump(database_url: &str) -> String {
    let mut rows = Vec::new();
    match connect(database_url) {
        DbConnection::Sqlite(mut c) => {
            let tables: Vec<Name> =
                diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .load(&mut c)
                    .unwrap();
            for table in tables {
                let columns: Vec<Name> =
                    diesel::sql_query(format!("PRAGMA table_info(\"{}\")", table.name))
                        .load(&mut c)
                        .unwrap();
                if columns.is_empty() {
                    continue;
                }
                let joined = columns
                    .iter()
                    .map(|col| format!("COALESCE(CAST(\"{}\" AS TEXT), '')", col.name))
                    .collect::<Vec<_>>()
                    .join(" || ' | ' || ");
                let query = format!("SELECT {joined} AS row FROM \"{}\"", table.name);
                let loaded: Vec<RawRow> = diesel::sql_query(query).load(&mut c).unwrap();
                rows.extend(
                    loaded
                        .into_iter()
                        .map(|r| format!("{}: {}", table.name, String::from_utf8_lossy(&r.row))),
                );
            }
        }
        DbConnection::Postgresql(mut c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .load(&mut c)
            .unwrap();
            for table in tables {
                let query = format!(
                    "SELECT row_to_json(t)::text AS row FROM \"{}\" t",
                    table.name
                );
                let loaded: Vec<Row> = diesel::sql_query(query).load(&mut c).unwrap();
                rows.extend(
                    loaded
                        .into_iter()
                        .map(|r| format!("{}: {}", table.name, r.row)),
                );
            }
        }
    }
    rows.join("\n")
}

/// The SQLite file and its write-ahead log, byte for byte: old values left
/// in free space would show here, not in `dump`.
fn sqlite_bytes(database_url: &str) -> Vec<u8> {
    let path = database_url.trim_start_matches("sqlite://");
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    bytes
}

fn assert_nowhere(database_url: &str, plaintexts: &[&str]) {
    let dump = dump(database_url);
    assert!(
        dump.contains(OWNER_EMAIL),
        "the dump reads the rows: {dump}"
    );
    for plaintext in plaintexts {
        assert!(
            !dump.contains(plaintext),
            "{plaintext} is stored in plain text"
        );
    }
    if is_sqlite(database_url) {
        let bytes = sqlite_bytes(database_url);
        for plaintext in plaintexts {
            assert!(
                !bytes
                    .windows(plaintext.len())
                    .any(|w| w == plaintext.as_bytes()),
                "{plaintext} is left in the SQLite file"
            );
        }
    }
}

/// The stored secrets: (place, value as stored), for comparing.
fn stored_secrets(database_url: &str) -> BTreeMap<String, String> {
    let mut conn = connect(database_url);
    let mut found = BTreeMap::new();
    let mfa: Vec<(String, Option<String>)> = users::table
        .filter(users::mfa_secret.is_not_null())
        .select((users::email, users::mfa_secret))
        .load(&mut conn)
        .unwrap();
    for (email, value) in mfa {
        found.insert(format!("mfa {email}"), value.unwrap());
    }
    let hooks: Vec<(String, String)> = webhooks::table
        .select((webhooks::id, webhooks::secret))
        .load(&mut conn)
        .unwrap();
    for (id, value) in hooks {
        found.insert(format!("webhook {id}"), value);
    }
    let signing: Vec<String> = settings::table
        .filter(settings::key.eq("secret_key"))
        .select(settings::value)
        .load(&mut conn)
        .unwrap();
    for value in signing {
        found.insert("signing key".into(), value);
    }
    let token_keys: Vec<(String, String)> = signing_keys::table
        .select((signing_keys::id, signing_keys::private_key))
        .load(&mut conn)
        .unwrap();
    for (id, value) in token_keys {
        found.insert(format!("token key {id}"), value);
    }
    found
}

fn key_id(key: &str) -> String {
    EncryptionKey::parse(key).unwrap().id()
}

fn assert_all_sealed_with(stored: &BTreeMap<String, String>, key: &str) {
    let prefix = format!("enc:v1:{}:", key_id(key));
    for (place, value) in stored {
        assert!(value.starts_with(&prefix), "{place}: {value}");
    }
}

/// An app that delivers to 127.0.0.1 quickly (or not at all: `poll_ms` 0).
async fn start(database_url: Option<&str>, key: Option<&str>, poll_ms: u64) -> TestApp {
    let (url, key) = (database_url.map(str::to_owned), key.map(str::to_owned));
    spawn_app_with(move |s| {
        if let Some(url) = url {
            s.database_url = url;
        }
        s.encryption_key = key.as_deref().map(Into::into);
        // One issuer across restarts (on other ports), so tokens carry over.
        s.mail.public_url = Some(ISSUER.into());
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = poll_ms;
        s.webhooks.webhook_retry_delay_ms = 50;
        s.webhooks.scheduler_interval = 0;
    })
    .await
}

/// Ann, with MFA on: (her TOTP secret, the step her confirmation used).
async fn ann_with_mfa(app: &TestApp, owner: &str) -> (String, u64) {
    let (_, token) = app.member(owner, "ann@example.com", "EMPLOYEE").await;
    let reply = app.post("/profile/mfa/", &token, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let step = usable_step(None).await;
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": code(&secret, step)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    (secret, step)
}

/// Ann logs in with a fresh code (and is refused without one).
async fn ann_logs_in_with_totp(app: &TestApp, secret: &str, after: Option<u64>) -> u64 {
    let without = app.try_login("ann@example.com", PASSWORD).await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST, "{}", without.body);
    assert!(without.body["otp"].is_array(), "{}", without.body);
    let step = usable_step(after).await;
    let reply = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": "ann@example.com", "password": PASSWORD,
                        "otp": code(secret, step)})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "TOTP login: {}", reply.body);
    step
}

async fn subscribe(app: &TestApp, owner: &str, receiver: &Receiver) {
    app.create(
        "/webhooks/",
        owner,
        json!({"url": receiver.url, "events": ["label.created"], "secret": WEBHOOK_SECRET}),
    )
    .await;
}

/// A change is delivered, signed with the webhook's secret.
async fn a_signed_delivery_arrives(app: &TestApp, owner: &str, receiver: &Receiver, label: &str) {
    let before = receiver.received().len();
    app.create("/labels/users/", owner, json!({"name": label}))
        .await;
    let got = receiver.wait_for(before + 1).await;
    let delivery = &got[before];
    assert_eq!(delivery.event, "label.created");
    assert!(
        verify(&delivery.signature, &delivery.body, WEBHOOK_SECRET),
        "the delivery is signed with the webhook's secret: {delivery:?}"
    );
}

fn tessera(database_url: &str, envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .env("TESSERA_DATABASE_URL", database_url)
        .env_remove("TESSERA_ENCRYPTION_KEY")
        .env_remove("TESSERA_NEW_ENCRYPTION_KEY")
        .env_remove("TESSERA_SECRET_KEY")
        .env("RUST_LOG", "error");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.arg("rotate-encryption-key");
    command.output().expect("run tessera rotate-encryption-key")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[actix_web::test]
async fn no_secret_is_stored_in_plain_text_and_both_still_work() {
    let receiver = Receiver::start(0);
    let app = start(None, Some(ENCRYPTION_KEY), 50).await;
    let owner = app.owner_token().await;
    let (totp_secret, confirmed) = ann_with_mfa(&app, &owner).await;
    subscribe(&app, &owner, &receiver).await;

    assert_nowhere(&app.database_url, &[&totp_secret, WEBHOOK_SECRET]);
    let stored = stored_secrets(&app.database_url);
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert_all_sealed_with(&stored, ENCRYPTION_KEY);

    ann_logs_in_with_totp(&app, &totp_secret, Some(confirmed)).await;
    a_signed_delivery_arrives(&app, &owner, &receiver, "sealed").await;
}

#[actix_web::test]
async fn plain_secrets_from_before_are_encrypted_at_the_next_start() {
    let receiver = Receiver::start(0);
    // The signing key is generated into the database only on SQLite.
    let first = spawn_app_with(|s| {
        s.webhooks.webhook_poll_ms = 0;
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.scheduler_interval = 0;
        s.mail.public_url = Some(ISSUER.into());
        if s.database_url.starts_with("sqlite:") {
            s.secret_key = None;
        }
    })
    .await;
    let url = first.database_url.clone();
    let sqlite = is_sqlite(&url);
    let owner = first.owner_token().await;
    let (totp_secret, _) = ann_with_mfa(&first, &owner).await;
    subscribe(&first, &owner, &receiver).await;

    // Rewrite them as a version without encryption stored them (with the
    // HS256 key an earlier version generated on SQLite).
    let signing_key = "legacy-signing-key-from-before-0123456789".to_owned();
    {
        let mut conn = connect(&url);
        diesel::update(users::table.filter(users::email.eq("ann@example.com")))
            .set((
                users::mfa_secret.eq(&totp_secret),
                users::mfa_last_step.eq(None::<i64>),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::update(webhooks::table)
            .set(webhooks::secret.eq(WEBHOOK_SECRET))
            .execute(&mut conn)
            .unwrap();
        diesel::delete(settings::table.filter(settings::key.eq("secret_key")))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq("secret_key"),
                settings::value.eq(&signing_key),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let plain = stored_secrets(&url);
    assert_eq!(plain["mfa ann@example.com"], totp_secret);
    assert!(dump(&url).contains(WEBHOOK_SECRET));
    if sqlite {
        let bytes = sqlite_bytes(&url);
        let plain = WEBHOOK_SECRET.as_bytes();
        assert!(bytes.windows(plain.len()).any(|w| w == plain));
    }

    let second = spawn_app_with({
        let url = url.clone();
        move |s| {
            s.database_url = url;
            s.webhooks.webhooks_allow_private = true;
            s.webhooks.webhook_poll_ms = 50;
            s.webhooks.scheduler_interval = 0;
            s.mail.public_url = Some(ISSUER.into());
            if s.database_url.starts_with("sqlite:") {
                s.secret_key = None;
            }
        }
    })
    .await;
    assert_nowhere(&url, &[&totp_secret, WEBHOOK_SECRET, &signing_key]);
    let sealed = stored_secrets(&url);
    assert_eq!(sealed.len(), 4, "{sealed:?}");
    assert_all_sealed_with(&sealed, ENCRYPTION_KEY);

    ann_logs_in_with_totp(&second, &totp_secret, None).await;
    a_signed_delivery_arrives(&second, &owner, &receiver, "after the upgrade").await;
    // The first server's token: the token-signing key is shared through the database.
    let reply = second.get("/profile/", &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Idempotent: another start leaves the sealed values as they are.
    let _third = start(Some(&url), Some(ENCRYPTION_KEY), 0).await;
    assert_eq!(stored_secrets(&url), sealed);
}

#[actix_web::test]
async fn rotating_the_key_re_encrypts_every_secret() {
    let receiver = Receiver::start(0);
    let first = start(None, Some(ENCRYPTION_KEY), 0).await;
    let url = first.database_url.clone();
    let owner = first.owner_token().await;
    let (totp_secret, confirmed) = ann_with_mfa(&first, &owner).await;
    subscribe(&first, &owner, &receiver).await;
    let before = stored_secrets(&url);
    assert_all_sealed_with(&before, ENCRYPTION_KEY);

    // Without the new key, or with the wrong current one, nothing changes.
    let refused = tessera(&url, &[("TESSERA_ENCRYPTION_KEY", ENCRYPTION_KEY)]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("TESSERA_NEW_ENCRYPTION_KEY"),
        "{}",
        text(&refused)
    );
    let wrong = tessera(
        &url,
        &[
            ("TESSERA_ENCRYPTION_KEY", NEW_KEY),
            ("TESSERA_NEW_ENCRYPTION_KEY", ENCRYPTION_KEY),
        ],
    );
    assert!(!wrong.status.success(), "{}", text(&wrong));
    assert!(text(&wrong).contains("cannot decrypt"), "{}", text(&wrong));
    assert_eq!(stored_secrets(&url), before);

    let rotated = tessera(
        &url,
        &[
            ("TESSERA_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("TESSERA_NEW_ENCRYPTION_KEY", NEW_KEY),
        ],
    );
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(
        text(&rotated).contains(&format!(
            "re-encrypted 3 secrets with the new key {}",
            key_id(NEW_KEY)
        )),
        "{}",
        text(&rotated)
    );
    let after = stored_secrets(&url);
    assert_all_sealed_with(&after, NEW_KEY);
    assert_nowhere(&url, &[&totp_secret, WEBHOOK_SECRET]);
    if is_sqlite(&url) {
        // The old ciphertexts are gone from the file too.
        let bytes = sqlite_bytes(&url);
        for old in before.values() {
            assert!(!bytes.windows(old.len()).any(|w| w == old.as_bytes()));
        }
    }

    // The old key no longer starts the service, and says why.
    let refused = Application::build({
        let mut s = settings(&url);
        s.encryption_key = Some(ENCRYPTION_KEY.into());
        s
    })
    .await;
    let message = format!("{:#}", refused.err().expect("the old key is refused"));
    assert!(
        message.contains(&format!("encrypted with key {}", key_id(NEW_KEY)))
            && message.contains(&key_id(ENCRYPTION_KEY))
            && message.contains("TESSERA_ENCRYPTION_KEY"),
        "{message}"
    );

    let second = start(Some(&url), Some(NEW_KEY), 50).await;
    ann_logs_in_with_totp(&second, &totp_secret, Some(confirmed)).await;
    a_signed_delivery_arrives(&second, &owner, &receiver, "rotated").await;
}

#[actix_web::test]
async fn without_a_key_sqlite_keeps_one_in_a_file_and_postgres_refuses_to_start() {
    let (probe, _guard) = crate::helpers::fresh_database();
    if !is_sqlite(&probe) {
        let mut s = settings(&probe);
        s.encryption_key = None;
        let refused = Application::build(s).await;
        let message = format!("{:#}", refused.err().expect("no key, no start"));
        assert!(
            message.starts_with("TESSERA_ENCRYPTION_KEY is required with PostgreSQL"),
            "{message}"
        );
        // As the operator sees it: one line, non-zero exit.
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("serve")
            .env("TESSERA_DATABASE_URL", &probe)
            .env("TESSERA_BIND", "127.0.0.1:0")
            .env(
                "TESSERA_SECRET_KEY",
                "a-secret-key-of-at-least-32-characters",
            )
            .env_remove("TESSERA_ENCRYPTION_KEY")
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: TESSERA_ENCRYPTION_KEY is required with PostgreSQL"),
            "{stderr}"
        );
        return;
    }

    let first = start(None, None, 0).await;
    let url = first.database_url.clone();
    let key_path = format!("{}.key", url.trim_start_matches("sqlite://"));
    let key = std::fs::read_to_string(&key_path).expect("a key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the key");
    }
    let owner = first.owner_token().await;
    let (totp_secret, confirmed) = ann_with_mfa(&first, &owner).await;
    assert_nowhere(&url, &[&totp_secret, key.trim()]);
    assert_all_sealed_with(&stored_secrets(&url), &key);

    // Rotation generates the new key and writes it to the file after its commit.
    let rotated = tessera(&url, &[]);
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(text(&rotated).contains(&key_path), "{}", text(&rotated));
    let new_key = std::fs::read_to_string(&key_path).unwrap();
    assert_ne!(new_key, key);
    assert!(!std::path::Path::new(&format!("{key_path}.new")).exists());
    assert_all_sealed_with(&stored_secrets(&url), &new_key);

    let second = start(Some(&url), None, 0).await;
    ann_logs_in_with_totp(&second, &totp_secret, Some(confirmed)).await;
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), new_key);
}
