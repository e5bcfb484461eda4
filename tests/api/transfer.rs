//! Moving an organization (`tessera export` / `tessera import`) and backing
//! up a deployment (`tessera backup`, `pg_dump`/`pg_restore`): filled through
//! the HTTP API, moved or restored with the real binary, read back through
//! the API of a server started on the result.
//!
//! The organization is always exported from SQLite; it is imported into
//! PostgreSQL when `TESSERA_TEST_POSTGRES_URL` is set (SQLite otherwise),
//! and exported from there again into SQLite, each deployment with its own
//! encryption key.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::config::Settings;

use crate::helpers::{
    ENCRYPTION_KEY, OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, TestApp, TestDb, fresh_database,
    fresh_sqlite_database, link_token, spawn_app_on,
};
use crate::mfa::{code, usable_step};
use crate::sso::{CLIENT_SECRET, Provider, connection as sso_connection};
use crate::webhooks::{Receiver, verify};

/// The keys of the deployment imported into, and of the third one.
const KEY_B: &str = "b1b2b3b4b5b6b7b8b9babbbcbdbebfb0c1c2c3c4c5c6c7c8c9cacbcccdcecfc0";
const KEY_C: &str = "0c1c2c3c4c5c6c7c8c9cacbcccdcecfc0b1b2b3b4b5b6b7b8b9babbbcbdbebf1";
const WEBHOOK_SECRET: &str = "whsec_moved_0123456789abcdef";
/// The public URL of every server of a test, so invitation links and token
/// issuers do not depend on ports.
const PUBLIC_URL: &str = "http://tessera.test";

fn tessera(database_url: &str, key: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_DATABASE_URL", database_url)
        .env("TESSERA_ENCRYPTION_KEY", key)
        .env_remove("TESSERA_BOOTSTRAP_PASSWORD")
        .output()
        .expect("run tessera")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn succeeded(output: Output, what: &str) -> Output {
    assert!(output.status.success(), "{what}: {}", text(&output));
    output
}

/// A server on `database_url` sealing with `key`; webhooks are delivered
/// only when `deliver` (so delivery state stays still while it is compared).
async fn start(database_url: &str, db: TestDb, key: &str, deliver: bool) -> TestApp {
    let key = key.to_owned();
    spawn_app_on(database_url.to_owned(), db, move |s: &mut Settings| {
        s.encryption_key = Some(key.as_str().into());
        s.mail.public_url = Some(PUBLIC_URL.into());
        s.webhooks.webhooks_allow_private = true;
        s.webhooks.webhook_poll_ms = if deliver { 50 } else { 0 };
        s.webhooks.webhook_retry_delay_ms = 50;
        s.webhooks.scheduler_interval = 0;
    })
    .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// What the tests need to know about the organization they filled.
struct Filled {
    organization: String,
    ann_secret: String,
    /// The TOTP step Ann last used.
    ann_step: u64,
    /// A key of an ADMIN API user: reads the snapshots without logging in
    /// (a login is itself audited and sets `last_login`).
    reader_key: String,
    deploy_id: String,
    deploy_key: String,
    webhook: String,
    invitation_token: String,
    /// An access review campaign with one decision taken.
    campaign: String,
}

/// Fills the organization of `app` through the API: labels, a team, two
/// targets, a custom role, people with roles at every tier, MFA, a
/// deactivated and an invited user, API users with keys, a webhook with a
/// delivery still due, a single sign-on connection (given an OpenID
/// Provider), and the audit trail all of that wrote.
async fn fill(app: &TestApp, receiver: &Receiver, idp: Option<&Provider>) -> Filled {
    let owner = app.owner_token().await;
    let organization = id(&app.get("/account/", &owner).await.body);
    let vip = id(&app
        .create(
            "/labels/users/",
            &owner,
            json!({"name": "vip", "color": "#00FF00"}),
        )
        .await);
    let red = id(&app
        .create(
            "/labels/users/",
            &owner,
            json!({"name": "red", "color": "#FF0000"}),
        )
        .await);
    let team = id(&app
        .create(
            "/teams/",
            &owner,
            json!({"name": "Blue", "description": "The blue team"}),
        )
        .await);
    app.create(
        "/targets/",
        &owner,
        json!({"name": "in-team", "url": "https://a.example.com", "teams": [team]}),
    )
    .await;
    let lone = id(&app
        .create(
            "/targets/",
            &owner,
            json!({"name": "lone", "url": "https://b.example.com"}),
        )
        .await);
    let editor = id(&app
        .create(
            "/roles/",
            &owner,
            json!({"name": "Target editor", "description": "Edits targets",
                   "permissions": ["targets.view", "targets.manage"]}),
        )
        .await);

    app.create(
        "/users/",
        &owner,
        json!({
            "email": "ann@example.com", "name": "Ann", "password": PASSWORD,
            "title": "seceng", "kind": "contractor", "position": "Pentester",
            "additional_email_addresses": ["ann@home.example.com"],
            "contract_start_date": "2026-01-01T00:00:00Z",
            "labels": [vip],
            "user_roles": [
                {"role": "EMPLOYEE", "scope": {"tier": "account"}},
                {"role": "ADMIN", "scope": {"tier": "team"}, "team": team},
                {"role": editor, "scope": {"tier": "scope"}, "target": lone},
            ],
        }),
    )
    .await;
    let ann = app.login("ann@example.com", PASSWORD).await;
    let enrolled = app.post("/profile/mfa/", &ann, json!({})).await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.body);
    let ann_secret = enrolled.body["secret"].as_str().unwrap().to_owned();
    let ann_step = usable_step(None).await;
    let confirmed = app
        .post(
            "/profile/mfa/confirm/",
            &ann,
            json!({"otp": code(&ann_secret, ann_step)}),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.body
    );

    let bob = id(&app
        .create(
            "/users/",
            &owner,
            json!({"email": "Bob@Example.com", "name": "Bob", "password": PASSWORD,
                   "labels": [vip, red],
                   "user_roles": [{"role": "VIEWER", "scope": {"tier": "account"}}]}),
        )
        .await);
    app.login("Bob@Example.com", PASSWORD).await;
    let deactivated = app
        .patch(&format!("/users/{bob}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.body);

    let carol = id(&app
        .create(
            "/users/",
            &owner,
            json!({"email": "carol@example.com", "name": "Carol"}),
        )
        .await);
    let invited = app
        .post("/invitations/", &owner, json!({"user": carol}))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let invitation_token = link_token(invited.body["link"].as_str().expect("a link"));

    let reader = id(&app
        .create(
            "/api-users/",
            &owner,
            json!({"email": "reader@example.com", "name": "Reader",
                   "user_roles": [{"role": "ADMIN", "scope": {"tier": "account"}}]}),
        )
        .await);
    let reader_key = app
        .create(
            &format!("/api-users/{reader}/keys/"),
            &owner,
            json!({"name": "snapshots"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let deploy_id = id(&app
        .create(
            "/api-users/",
            &owner,
            json!({"email": "deploy@example.com", "name": "Deploy"}),
        )
        .await);
    let deploy_key = app
        .create(
            &format!("/api-users/{deploy_id}/keys/"),
            &owner,
            json!({"name": "ci", "expires": "2099-01-01T00:00:00Z"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/users/", &deploy_key).await.status, StatusCode::OK);

    let webhook = id(&app
        .create(
            "/webhooks/",
            &owner,
            json!({"url": receiver.url, "events": ["user.*"], "secret": WEBHOOK_SECRET}),
        )
        .await);
    // Queued, never sent here (this server delivers nothing): the importing
    // deployment sends it.
    let changed = app
        .patch(
            &format!("/users/{carol}/"),
            &owner,
            json!({"position": "Newcomer"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    if let Some(idp) = idp {
        app.create(
            "/sso/connections/",
            &owner,
            sso_connection(&idp.issuer, &["corp.example"]),
        )
        .await;
    }
    let campaign = id(&app
        .create(
            "/access-reviews/",
            &owner,
            json!({"name": "Q4", "scope": "organization", "reviewers": [reader],
                   "due": "2099-01-01T00:00:00Z"}),
        )
        .await);
    let carol_item = app
        .get(
            &format!("/access-reviews/{campaign}/items/?user={carol}"),
            &owner,
        )
        .await;
    let decided = app
        .post(
            &format!(
                "/access-reviews/{campaign}/items/{}/decision/",
                id(&carol_item.body["results"][0])
            ),
            &reader_key,
            json!({"decision": "keep", "comment": "still needed"}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    let failed = app.try_login("ann@example.com", "wrong-pass-1").await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);

    Filled {
        organization,
        ann_secret,
        ann_step,
        reader_key,
        deploy_id,
        deploy_key,
        webhook,
        invitation_token,
        campaign,
    }
}

/// Every page of `path` (a list), or its one answer.
async fn read_all(app: &TestApp, path: &str, key: &str) -> Value {
    let first = app.get(path, key).await;
    assert_eq!(first.status, StatusCode::OK, "GET {path}: {}", first.body);
    let Some(pages) = first.body["page_total"].as_u64() else {
        return first.body;
    };
    let mut results = first.body["results"].as_array().unwrap().clone();
    for page in 2..=pages {
        let next = app.get(&format!("{path}&page={page}"), key).await;
        assert_eq!(next.status, StatusCode::OK, "GET {path}: {}", next.body);
        results.extend(next.body["results"].as_array().unwrap().iter().cloned());
    }
    json!({"count": first.body["count"], "results": results})
}

/// Everything the organization shows through the API.
async fn snapshot(app: &TestApp, filled: &Filled) -> BTreeMap<String, Value> {
    let mut paths: Vec<String> = [
        "/account/",
        "/users/?length=100&ordering=created",
        "/api-users/?length=100&ordering=created",
        "/labels/users/?length=100&ordering=name",
        "/roles/?length=100",
        "/teams/?length=100",
        "/targets/?length=100",
        "/webhooks/?length=100",
        "/invitations/?length=100",
        "/audit-events/?length=100",
        "/sso/connections/?length=100",
        "/access-review/",
        "/access-reviews/?length=100",
    ]
    .map(str::to_owned)
    .into();
    paths.push(format!("/api-users/{}/keys/?length=100", filled.deploy_id));
    paths.push(format!(
        "/webhooks/{}/deliveries/?length=100",
        filled.webhook
    ));
    paths.push(format!("/access-reviews/{}/report/", filled.campaign));
    let mut all = BTreeMap::new();
    for path in paths {
        let got = read_all(app, &path, &filled.reader_key).await;
        all.insert(path, got);
    }
    all
}

fn assert_same(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>, what: &str) {
    for (path, value) in before {
        assert_eq!(
            Some(value),
            after.get(path),
            "{what}: GET {path} differs\nbefore: {value:#}\nafter: {:#}",
            after.get(path).unwrap_or(&Value::Null)
        );
    }
    assert_eq!(before.len(), after.len(), "{what}");
}

/// Ann logs in with her old password and a fresh TOTP code (not without
/// one); returns the step used.
async fn ann_logs_in(app: &TestApp, filled: &Filled, after: u64) -> u64 {
    let without = app.try_login("ann@example.com", PASSWORD).await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST, "{}", without.body);
    assert!(without.body["otp"].is_array(), "{}", without.body);
    let step = usable_step(Some(after)).await;
    let reply = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!({"username": "ann@example.com", "password": PASSWORD,
                        "otp": code(&filled.ann_secret, step)})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    step
}

/// What works in a deployment an organization moved to: old passwords,
/// MFA, API keys, and the deactivated user stays out.
async fn credentials_work(app: &TestApp, filled: &Filled, ann_after: u64) -> u64 {
    app.owner_token().await;
    let step = ann_logs_in(app, filled, ann_after).await;
    let with_key = app.get("/users/?length=100", &filled.deploy_key).await;
    assert_eq!(with_key.status, StatusCode::OK, "{}", with_key.body);
    let bob = app.try_login("Bob@Example.com", PASSWORD).await;
    assert_eq!(bob.status, StatusCode::BAD_REQUEST, "{}", bob.body);
    step
}

fn export(database_url: &str, key: &str, organization: &str, to: &Path) -> Output {
    tessera(
        database_url,
        key,
        &[
            "export",
            "--organization",
            organization,
            "--output",
            to.to_str().unwrap(),
        ],
    )
}

fn import(database_url: &str, key: &str, from: &Path) -> Output {
    tessera(
        database_url,
        key,
        &["import", "--input", from.to_str().unwrap()],
    )
}

/// The export file: mode 0600, the secrets opened, and nothing of it on
/// the command's output.
fn check_export_file(path: &Path, output: &Output, filled: &Filled) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the export holds secrets");
    let file = std::fs::read_to_string(path).unwrap();
    for secret in [WEBHOOK_SECRET, CLIENT_SECRET, filled.ann_secret.as_str()] {
        assert!(file.contains(secret), "the export holds its secrets opened");
    }
    assert!(!file.contains("enc:v1:"), "secrets travel opened");
    let shown = text(output);
    for secret in [WEBHOOK_SECRET, CLIENT_SECRET, filled.ann_secret.as_str()] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[actix_web::test]
async fn an_organization_moves_to_another_deployment_and_back_losslessly() {
    let receiver = Receiver::start(0);
    let (a_url, a_db) = fresh_sqlite_database();
    let a = start(&a_url, a_db, ENCRYPTION_KEY, false).await;
    let idp = Provider::start(&a);
    let filled = fill(&a, &receiver, Some(&idp)).await;
    let dir = tempfile::tempdir().unwrap();

    // A (SQLite) → B (PostgreSQL when available), while A runs.
    let before = snapshot(&a, &filled).await;
    let file = dir.path().join("org.jsonl");
    let exported = succeeded(
        export(&a_url, ENCRYPTION_KEY, &filled.organization, &file),
        "export from A",
    );
    check_export_file(&file, &exported, &filled);
    let (b_url, b_db) = fresh_database();
    let imported = succeeded(import(&b_url, KEY_B, &file), "import into B");
    assert!(!text(&imported).contains(WEBHOOK_SECRET));
    let b = start(&b_url, b_db, KEY_B, false).await;
    assert_same(&before, &snapshot(&b, &filled).await, "A → B");
    sealed_with(&b_url, KEY_B, &filled);

    let ann_step = credentials_work(&b, &filled, filled.ann_step).await;
    // The invitation's token moved too.
    let accepted = b
        .call(
            Method::POST,
            "/invitations/accept/",
            None,
            Some(json!({"token": filled.invitation_token, "password": "carol-pass-7Qx"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.body);
    b.login("carol@example.com", "carol-pass-7Qx").await;

    // The delivery A queued is sent by B, signed with the moved secret.
    let _sender = start(&b_url, TestDb::Shared, KEY_B, true).await;
    let got = receiver.wait_for(1).await;
    let queued = got
        .iter()
        .find(|r| r.event == "user.updated" && r.body.contains("Newcomer"))
        .unwrap_or_else(|| panic!("the queued delivery: {}", got.len()));
    assert!(verify(&queued.signature, &queued.body, WEBHOOK_SECRET));
    let deliveries = format!("/webhooks/{}/deliveries/?length=100", filled.webhook);
    for _ in 0..200 {
        let list = b.get(&deliveries, &filled.reader_key).await.body;
        let statuses: Vec<&Value> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["status"])
            .collect();
        if statuses.iter().all(|s| *s == "DELIVERED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nothing more is queued while B is compared with C.
    let owner = b.owner_token().await;
    let paused = b
        .patch(
            &format!("/webhooks/{}/", filled.webhook),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);

    // B → C (SQLite), with a third key.
    let before = snapshot(&b, &filled).await;
    let file = dir.path().join("again.jsonl");
    let exported = succeeded(
        export(&b_url, KEY_B, &filled.organization, &file),
        "export from B",
    );
    check_export_file(&file, &exported, &filled);
    let (c_url, c_db) = fresh_sqlite_database();
    succeeded(import(&c_url, KEY_C, &file), "import into C");
    let c = start(&c_url, c_db, KEY_C, false).await;
    assert_same(&before, &snapshot(&c, &filled).await, "B → C");
    sealed_with(&c_url, KEY_C, &filled);
    credentials_work(&c, &filled, ann_step).await;
    c.login("carol@example.com", "carol-pass-7Qx").await;
}

/// Every secret the database keeps is sealed with `key`, and opens to what
/// was stored in the first deployment (the SSO client secret is checked
/// here: signing in would need a browser; the others are used by the test).
fn sealed_with(database_url: &str, key: &str, filled: &Filled) {
    use tessera::crypto::{EncryptionKey, SecretBox};
    use tessera::db::secrets::{self, Place};
    let mut conn =
        tessera::db::establish(&tessera::db::DatabaseUrl::parse(database_url).unwrap()).unwrap();
    let secrets = SecretBox::new(&EncryptionKey::parse(key).unwrap());
    let mut opened = Vec::new();
    for stored in secrets::all(&mut conn).unwrap() {
        let plain = secrets
            .open(&stored.value, stored.place.binding())
            .unwrap_or_else(|e| panic!("{}: {e}", stored.place));
        match &stored.place {
            Place::SsoSecret { .. } => assert_eq!(plain.as_str(), CLIENT_SECRET),
            Place::WebhookSecret { .. } => assert_eq!(plain.as_str(), WEBHOOK_SECRET),
            Place::MfaSecret { .. } => {
                assert_eq!(plain.as_str(), filled.ann_secret);
            }
            _ => {}
        }
        opened.push(stored.place.to_string());
    }
    for place in ["SSO connection", "webhook", "TOTP secret"] {
        assert!(
            opened.iter().any(|p| p.contains(place)),
            "{place} in {opened:?}"
        );
    }
}

/// How many rows each table of a database holds.
fn row_counts(database_url: &str) -> BTreeMap<&'static str, i64> {
    use diesel::prelude::*;
    use tessera::db::schema::*;
    let mut conn =
        tessera::db::establish(&tessera::db::DatabaseUrl::parse(database_url).unwrap()).unwrap();
    let mut counts = BTreeMap::new();
    macro_rules! count {
        ($($table:ident),+) => {$(
            counts.insert(
                stringify!($table),
                $table::table.count().get_result::<i64>(&mut conn).unwrap(),
            );
        )+};
    }
    count!(
        organizations,
        users,
        labels,
        user_labels,
        roles,
        teams,
        targets,
        target_teams,
        user_roles,
        api_keys,
        invitations,
        audit_events,
        webhooks,
        webhook_deliveries,
        sso_connections,
        sso_domains,
        access_reviews,
        access_review_reviewers,
        access_review_items,
        settings
    );
    counts
}

#[actix_web::test]
async fn an_import_is_all_or_nothing() {
    let receiver = Receiver::start(0);
    let (a_url, a_db) = fresh_sqlite_database();
    let a = start(&a_url, a_db, ENCRYPTION_KEY, false).await;
    let filled = fill(&a, &receiver, None).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.jsonl");
    succeeded(
        export(&a_url, ENCRYPTION_KEY, &filled.organization, &file),
        "export",
    );
    // The file is never overwritten.
    let again = export(&a_url, ENCRYPTION_KEY, &filled.organization, &file);
    assert!(!again.status.success(), "{}", text(&again));
    let unknown = export(
        &a_url,
        ENCRYPTION_KEY,
        "NoSuchOrgXyz",
        &dir.path().join("none.jsonl"),
    );
    assert!(text(&unknown).contains("there is no organization NoSuchOrgXyz"));
    assert!(!dir.path().join("none.jsonl").exists(), "no partial file");
    let nowhere = dir.path().join("nowhere.db");
    let missing = tessera(
        &format!("sqlite://{}", nowhere.display()),
        ENCRYPTION_KEY,
        &["export", "--organization", &filled.organization],
    );
    assert!(
        text(&missing).contains("there is no database"),
        "{}",
        text(&missing)
    );
    assert!(!nowhere.exists(), "no database is created");

    let (b_url, _b_db) = fresh_database();
    succeeded(import(&b_url, KEY_B, &file), "the first import");
    let once = row_counts(&b_url);

    // Twice: refused, nothing written.
    let twice = import(&b_url, KEY_B, &file);
    assert!(!twice.status.success());
    assert!(
        text(&twice).contains(&format!(
            "organization {} already exists",
            filled.organization
        )),
        "{}",
        text(&twice)
    );
    assert_eq!(row_counts(&b_url), once);

    // A truncated file: refused, nothing written.
    let whole = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    let cut = dir.path().join("cut.jsonl");
    std::fs::write(&cut, lines[..lines.len() - 1].join("\n")).unwrap();
    let (c_url, c_db) = fresh_sqlite_database();
    let truncated = import(&c_url, KEY_C, &cut);
    assert!(
        text(&truncated).contains("truncated"),
        "{}",
        text(&truncated)
    );
    assert_eq!(row_counts(&c_url)["organizations"], 0);
    assert_eq!(row_counts(&c_url)["users"], 0);

    // Into a deployment that has its own organization with the same
    // owner's e-mail address: refused (the users' ids are new, the e-mail
    // is not), nothing written, and the deployment still works.
    let c = start(&c_url, c_db, KEY_C, false).await;
    let before = row_counts(&c_url);
    let taken = import(&c_url, KEY_C, &file);
    assert!(!taken.status.success());
    assert!(
        text(&taken).contains("is already taken in this deployment"),
        "{}",
        text(&taken)
    );
    assert!(!text(&taken).contains(OWNER_EMAIL), "{}", text(&taken));
    assert_eq!(row_counts(&c_url), before);
    c.login(OWNER_EMAIL, OWNER_PASSWORD).await;

    // A row edited to belong to another organization is refused too.
    let mut moved_label = false;
    let edited: Vec<String> = whole
        .lines()
        .map(|line| {
            if !moved_label && line.starts_with(r#"{"table":"labels""#) {
                moved_label = true;
                line.replace(&filled.organization, "ElsewhereXyz")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(moved_label);
    let edited_file = dir.path().join("edited.jsonl");
    std::fs::write(&edited_file, edited.join("\n")).unwrap();
    let (d_url, _d_db) = fresh_sqlite_database();
    let refused = import(&d_url, KEY_C, &edited_file);
    assert!(
        text(&refused).contains("belongs to another organization"),
        "{}",
        text(&refused)
    );
    assert_eq!(row_counts(&d_url)["organizations"], 0);
}

#[actix_web::test]
async fn a_backup_restores_into_a_working_deployment() {
    let receiver = Receiver::start(0);
    let (url, db) = fresh_database();
    let app = start(&url, db, ENCRYPTION_KEY, false).await;
    let filled = fill(&app, &receiver, None).await;
    let before = snapshot(&app, &filled).await;
    let dir = tempfile::tempdir().unwrap();

    // Taken while the server runs.
    let (restored_url, restored_db) = match url.strip_prefix("sqlite://") {
        Some(_) => {
            let copy = dir.path().join("backup.db");
            let output = succeeded(
                tessera(
                    &url,
                    ENCRYPTION_KEY,
                    &["backup", "--output", copy.to_str().unwrap()],
                ),
                "tessera backup",
            );
            assert!(text(&output).contains("backed up"), "{}", text(&output));
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // Restoring is copying the file into place.
            let (restored_url, restored_db) = fresh_sqlite_database();
            std::fs::copy(&copy, restored_url.strip_prefix("sqlite://").unwrap()).unwrap();
            (restored_url, restored_db)
        }
        None => {
            let refused = tessera(&url, ENCRYPTION_KEY, &["backup", "--output", "x.db"]);
            assert!(text(&refused).contains("pg_dump"), "{}", text(&refused));
            let dump = dir.path().join("tessera.dump");
            let output = Command::new("pg_dump")
                .args(["--format=custom", "--file", dump.to_str().unwrap(), &url])
                .output()
                .expect("pg_dump (Debian: postgresql-client)");
            assert!(output.status.success(), "pg_dump: {}", text(&output));
            let (restored_url, restored_db) = fresh_database();
            let output = Command::new("pg_restore")
                .args([
                    "--no-owner",
                    "--exit-on-error",
                    "--dbname",
                    &restored_url,
                    dump.to_str().unwrap(),
                ])
                .output()
                .expect("pg_restore (Debian: postgresql-client)");
            assert!(output.status.success(), "pg_restore: {}", text(&output));
            (restored_url, restored_db)
        }
    };
    let restored = start(&restored_url, restored_db, ENCRYPTION_KEY, false).await;
    assert_same(&before, &snapshot(&restored, &filled).await, "restored");
    credentials_work(&restored, &filled, filled.ann_step).await;
    let audit = restored
        .get("/audit-events/?length=100", &filled.reader_key)
        .await;
    assert!(audit.body["count"].as_u64().unwrap() > 10, "{}", audit.body);
}
