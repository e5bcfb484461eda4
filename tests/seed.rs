//! `tessera seed`: what it writes, and that listing seeded users costs a
//! constant number of queries (no N+1). SQLite by default; also PostgreSQL
//! when `TESSERA_TEST_POSTGRES_URL` is set.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use tessera::db::models::UserDetail;
use tessera::db::schema::{labels, target_teams, targets, teams, user_labels, user_roles, users};
use tessera::db::users::{UserFilter, UserOrderField, UserOrdering};
use tessera::db::{self, DatabaseUrl, DbConnection};
use tessera::dev::seed::{SEED_PASSWORD, SeedOptions, seed};
use tessera::domain::user::Email;
use tessera::service;
use tessera::service::audit::RequestContext;

/// Where a test's database lives; dropped with the test.
enum TestDb {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
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

fn fresh_database() -> (String, TestDb) {
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
        _ => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let path: PathBuf = dir.path().join("tessera.db");
            (
                format!("sqlite://{}", path.display()),
                TestDb::Sqlite { _dir: dir },
            )
        }
    }
}

fn connect(url: &str) -> DbConnection {
    let mut conn = db::establish(&DatabaseUrl::parse(url).unwrap()).expect("connects");
    db::migrate(&mut conn).expect("migrates");
    conn
}

macro_rules! count {
    ($conn:expr, $query:expr) => {
        $query.count().get_result::<i64>($conn).expect("count")
    };
}

/// A page of people with labels and roles embedded, and the number of SQL
/// queries it took on `conn`.
fn page_with_details(
    conn: &mut DbConnection,
    organization_id: &str,
    size: i64,
) -> (Vec<UserDetail>, usize) {
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = queries.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let ordering = UserOrdering {
        field: UserOrderField::Name,
        descending: false,
    };
    let rows = db::users::page(
        conn,
        organization_id,
        &UserFilter::default(),
        ordering,
        0,
        size,
    )
    .expect("a page");
    let details = db::users::with_details(conn, rows).expect("details");
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    (details, queries.load(Ordering::SeqCst))
}

#[test]
fn seeds_an_organization_and_lists_it_in_constant_queries() {
    let (url, _db) = fresh_database();
    let mut conn = connect(&url);
    let email = Email::parse("owner@example.com").unwrap();
    let (org, _owner) = conn
        .transaction(|conn| {
            service::orgs::bootstrap(conn, &RequestContext::cli(), "Acme", &email, "x".into())
        })
        .expect("bootstrap");

    let options = SeedOptions {
        users: 300,
        labels: 12,
        teams: 5,
        targets: 8,
        organization_id: None,
    };
    let report = seed(&mut conn, &options).expect("seeds");
    assert_eq!(report.organization_id, org.id);
    assert_eq!(report.users, 300);
    assert_eq!(report.password, SEED_PASSWORD);
    assert!(
        report.pending > 0 && report.pending < 300,
        "{}",
        report.pending
    );
    assert!(report.to_string().contains(SEED_PASSWORD));

    let org_users = || users::table.filter(users::organization_id.eq(org.id.clone()));
    // The owner, the System actor and 300 people.
    assert_eq!(count!(&mut conn, org_users()), 302);
    assert_eq!(
        count!(
            &mut conn,
            org_users().filter(users::email.like("%@example.com"))
        ),
        301
    );
    let emails: Vec<String> = users::table
        .filter(users::organization_id.eq(&org.id))
        .select(users::email)
        .load(&mut conn)
        .unwrap();
    let distinct: std::collections::HashSet<&String> = emails.iter().collect();
    assert_eq!(distinct.len(), 302);
    assert_eq!(
        count!(
            &mut conn,
            org_users().filter(users::password_hash.is_null())
        ) as usize,
        report.pending + 1 // and the System actor
    );
    assert_eq!(
        count!(&mut conn, org_users().filter(users::active.eq(false))) as usize,
        report.inactive
    );
    let names: Vec<String> = users::table.select(users::name).load(&mut conn).unwrap();
    assert!(
        names
            .iter()
            .all(|n| !n.is_empty() && n.chars().count() <= 60)
    );
    assert_eq!(
        count!(
            &mut conn,
            labels::table.filter(labels::organization_id.eq(&org.id))
        ),
        12
    );
    let colors: Vec<String> = labels::table.select(labels::color).load(&mut conn).unwrap();
    assert!(colors.iter().all(|c| c.len() == 7
        && c.starts_with('#')
        && c[1..].chars().all(|h| h.is_ascii_hexdigit())));
    assert_eq!(
        count!(
            &mut conn,
            teams::table.filter(teams::organization_id.eq(&org.id))
        ),
        5
    );
    assert_eq!(
        count!(
            &mut conn,
            targets::table.filter(targets::organization_id.eq(&org.id))
        ),
        8
    );
    let urls: Vec<String> = targets::table.select(targets::url).load(&mut conn).unwrap();
    assert!(urls.iter().all(|u| u.starts_with("https://")));
    let links = count!(&mut conn, target_teams::table) as usize;
    assert_eq!(links, report.target_teams);
    assert!((8..=16).contains(&links), "{links}");
    // One account-tier role each (the owner's OWNER included), plus the others.
    assert_eq!(
        count!(
            &mut conn,
            user_roles::table.filter(user_roles::tier.eq("account"))
        ),
        301
    );
    assert_eq!(
        count!(&mut conn, user_roles::table) as usize,
        report.user_roles + 1
    );
    assert_eq!(
        count!(&mut conn, user_labels::table) as usize,
        report.user_labels
    );
    let system = db::users::system_actor(&mut conn, &org.id).unwrap();
    assert_eq!(
        count!(
            &mut conn,
            org_users().filter(users::changed_by_id.ne(&system.id))
        ),
        0
    );
    drop(conn);

    // Listing on a fresh connection: the same small number of queries for a
    // page of 10 as for a page of 100.
    let mut conn = db::establish(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    let (hundred, queries_100) = page_with_details(&mut conn, &org.id, 100);
    let (ten, queries_10) = page_with_details(&mut conn, &org.id, 10);
    assert_eq!(hundred.len(), 100);
    assert_eq!(ten.len(), 10);
    assert!(hundred.iter().all(|u| !u.roles.is_empty()));
    assert!(hundred.iter().any(|u| !u.labels.is_empty()));
    // The page, then its embeds. PostgreSQL joins each assignment with its
    // role, team and target (every statement there is a round trip): four
    // statements. SQLite's statements cost no round trip, so it reads each
    // distinct role, team, target and label once for the page instead of
    // once per holder: at most seven (fewer when nobody on the page holds a
    // role at a team or a target, or a label).
    let most = if url.starts_with("postgres") { 4 } else { 7 };
    for (size, queries) in [(100, queries_100), (10, queries_10)] {
        assert!(
            (1..=most).contains(&queries),
            "a page of {size} took {queries} queries"
        );
    }
}

#[test]
fn the_seed_command_fills_a_bootstrapped_organization() {
    let (url, _db) = fresh_database();
    let tessera = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command.env("TESSERA_DATABASE_URL", &url);
        command
    };

    // Nothing to fill yet: a one-line error.
    let output = tessera().args(["seed", "--users", "5"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no organization"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let output = tessera()
        .args([
            "bootstrap",
            "--org",
            "Acme",
            "--email",
            "owner@example.com",
            "--password",
            "owner-pass-1",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    let output = tessera()
        .args([
            "seed",
            "--users",
            "50",
            "--labels",
            "5",
            "--teams",
            "3",
            "--targets",
            "4",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("50 people"), "{stdout}");
    assert!(stdout.contains(SEED_PASSWORD), "{stdout}");

    let mut conn = connect(&url);
    // The owner, the System actor and 50 people.
    assert_eq!(count!(&mut conn, users::table), 52);
    assert_eq!(count!(&mut conn, labels::table), 5);
}
