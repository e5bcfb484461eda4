//! Persistence: one connection type for both backends, the pool, migrations,
//! and the two ways handlers reach the database (`Db::read`, `Db::write`).

pub mod access_requests;
pub mod access_review;
pub mod access_reviews;
pub mod audit;
pub mod backup;
mod direct;
pub mod idempotency;
pub mod in_ids;
pub mod invitations;
pub mod keys;
pub mod labels;
pub mod login_failures;
pub mod mfa;
pub mod models;
pub mod orgs;
pub mod replicas;
pub mod roles;
pub mod schema;
pub mod secrets;
pub mod settings;
pub mod signing_keys;
pub mod sso;
pub mod stored;
pub mod targets;
pub mod teams;
pub mod transfer;
pub mod users;
pub mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type serving both backends from the same queries.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a `TESSERA_DATABASE_URL` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (`sqlite://<path>`).
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains(":memory:") {
                bail!(
                    "invalid database URL {raw:?}: sqlite:// needs a file path (an in-memory database would not be shared by the pool)"
                );
            }
            return Ok(DatabaseUrl::Sqlite(path.to_owned()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            // libpq takes several `host:port`s (a primary and its standbys,
            // tried in turn), which no generic URL parser does: each host is
            // checked as its own URL.
            for one in PgUrlParts::split(raw).each_host() {
                url::Url::parse(&one)
                    .map_err(|e| anyhow!("invalid database URL {:?}: {e}", redact(raw)))?;
            }
            return Ok(DatabaseUrl::Postgres(with_pg_defaults(raw)));
        }
        bail!(
            "invalid database URL: expected sqlite://<path> or postgres://..., got {:?}",
            redact(raw)
        )
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }
}

/// A `postgres://` URL cut where libpq's multi-host form differs from a
/// plain URL: `scheme://[userinfo@]host[:port][,host[:port]...][/db][?query]`.
struct PgUrlParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hosts: &'a str,
    rest: &'a str,
}

impl<'a> PgUrlParts<'a> {
    fn split(raw: &'a str) -> Self {
        let (scheme, after) = raw.split_once("://").unwrap_or(("", raw));
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        Self {
            scheme,
            userinfo,
            hosts,
            rest,
        }
    }

    /// One single-host URL per host of the list.
    fn each_host(&self) -> Vec<String> {
        let userinfo = self.userinfo.map(|u| format!("{u}@")).unwrap_or_default();
        self.hosts
            .split(',')
            .map(|host| format!("{}://{userinfo}{host}{}", self.scheme, self.rest))
            .collect()
    }
}

/// Hides a password in a URL so it can be printed.
fn redact(raw: &str) -> String {
    let parts = PgUrlParts::split(raw);
    match parts.userinfo.and_then(|u| u.split_once(':')) {
        Some((user, _password)) => format!(
            "{}://{user}:***@{}{}",
            parts.scheme, parts.hosts, parts.rest
        ),
        None => raw.chars().take(200).collect(),
    }
}

/// Seconds libpq waits for each host to answer a connection attempt unless
/// the URL says otherwise: without a bound, a host that drops packets (a
/// dead machine, a partition) holds a pool's connection attempt for the
/// operating system's TCP timeout (minutes), and libpq reaches the next host
/// of the list only then.
pub const PG_CONNECT_TIMEOUT: u32 = 5;

/// The URL with the connection settings Tessera relies on added when the
/// operator did not set them.
fn with_pg_defaults(raw: &str) -> String {
    let has = |name: &str| {
        raw.split_once('?').is_some_and(|(_, query)| {
            query
                .split('&')
                .any(|pair| pair.split('=').next() == Some(name))
        })
    };
    if has("connect_timeout") {
        return raw.to_owned();
    }
    let separator = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{separator}connect_timeout={PG_CONNECT_TIMEOUT}")
}

/// Opens one connection with the per-connection settings each backend needs.
pub fn establish(url: &DatabaseUrl) -> anyhow::Result<DbConnection> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)
                .with_context(|| format!("cannot open SQLite database {path:?}"))?;
            // busy_timeout first, so the other statements already wait on a lock.
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            let conn = PgConnection::establish(url)
                .map_err(|e| anyhow!("cannot connect to PostgreSQL: {}", e.to_string().trim()))?;
            Ok(DbConnection::Postgresql(conn))
        }
    }
}

/// Applies pending migrations. On PostgreSQL an advisory lock keeps replicas
/// that start together from racing.
pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA journal_mode = WAL;")?;
        c.run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow!("migration failed: {e}"))?;
        users::complete_sort_keys(conn)?;
        // Table statistics for the planner (bounded work, only where
        // missing or stale): without them SQLite counts a label's people
        // by probing all of the organization's rows (see PERFORMANCE.md).
        conn.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
        return Ok(());
    }
    conn.batch_execute("SELECT pg_advisory_lock(7358201)")?;
    let outcome = match conn {
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| anyhow!("migration failed: {e}")),
        DbConnection::Sqlite(_) => unreachable!("migrated above"),
    }
    .and_then(|()| users::complete_sort_keys(conn).map_err(|e| anyhow!("migration failed: {e}")));
    conn.batch_execute("SELECT pg_advisory_unlock(7358201)")?;
    outcome
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends (ASCII-only folding on SQLite).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A case-insensitive `LIKE` pattern matching `term` anywhere, with the
/// wildcards in `term` escaped (use with `.escape('\\')`).
pub fn contains_pattern(term: &str) -> String {
    format!("%{}%", escape_like(&term.to_lowercase()))
}

/// Escapes LIKE wildcards so a search term matches literally.
pub fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub const BOOTSTRAP_LOCK: i64 = 7358202;

/// Holds a PostgreSQL transaction-scoped advisory lock (SQLite writes are
/// already serialized).
pub fn advisory_lock(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// The scheduler's lease: one replica runs a round at a time.
pub const SCHEDULER_LOCK: i64 = 7358203;

/// Takes a PostgreSQL transaction-scoped advisory lock if no one holds it;
/// false when another transaction does. Always true on SQLite (one writer).
pub fn try_advisory_lock(conn: &mut DbConnection, key: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        DbConnection::Postgresql(pg) => {
            let row: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind::<diesel::sql_types::BigInt, _>(key)
                .get_result(pg)?;
            Ok(row.locked)
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Serializes writers of one user: its row is locked until the transaction
/// ends, so a write reads the state it changes (roles judged by the
/// authority rule, the audit diff's "before") and writes land in the order
/// their `changed` stamps say. SQLite writes are already serialized.
pub fn lock_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(user_id)
            .execute(pg)?;
    }
    Ok(())
}

/// Serializes a writer against others touching the same organization's
/// owners (last-owner rule). SQLite writes are already serialized.
pub fn lock_organization(conn: &mut DbConnection, organization_id: &str) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(organization_id)
            .execute(pg)?;
    }
    Ok(())
}

pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        establish(&self.url).map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                e.to_string(),
            ))
        })
    }

    /// Checked at every checkout. On PostgreSQL the server must answer and
    /// still be a primary: after a failover, a connection to the old primary
    /// is dead (dropped here, and the pool connects anew, which libpq's
    /// `target_session_attrs=read-write` sends to the new primary), and one
    /// to a server that has become a standby would refuse every write with
    /// "read-only transaction" for as long as it lived.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        #[derive(QueryableByName)]
        struct Recovery {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            in_recovery: bool,
        }
        match conn {
            // A file has no server to lose: checking would parse a statement
            // on every checkout.
            DbConnection::Sqlite(_) => Ok(()),
            DbConnection::Postgresql(pg) => {
                let row: Recovery = diesel::sql_query("SELECT pg_is_in_recovery() AS in_recovery")
                    .get_result(pg)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                if row.in_recovery {
                    return Err(diesel::r2d2::Error::ConnectionError(
                        diesel::ConnectionError::BadConnection(
                            "the server is a standby (read-only), not the primary".into(),
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// A connection whose user panicked, or that is left inside a
    /// transaction (or with a broken transaction manager), never goes back
    /// to the pool: the next user would write into a transaction that never
    /// commits, and on SQLite hold the write lock from everyone else.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// Logs the pool's failures to connect (or to check a connection) as
/// warnings, at most one a second: while a primary fails over, every
/// replica retries many times a second, and each would otherwise be an
/// ERROR line of its own. Requests that cannot get a connection in time are
/// answered 503 and logged apart.
#[derive(Debug, Default)]
struct PoolErrors {
    last_logged: std::sync::Mutex<Option<std::time::Instant>>,
    suppressed: AtomicUsize,
}

impl r2d2::HandleError<diesel::r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        let mut last = self
            .last_logged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *last = Some(std::time::Instant::now());
        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        tracing::warn!(error = %error.to_string().trim(), suppressed, "database connection failed");
    }
}

/// Most writes that may wait for SQLite's single writer at once.
pub const WRITE_QUEUE_MAX: usize = 512;
/// Longest a write waits for its turn before it is answered with a 503.
pub const WRITE_WAIT_MAX: Duration = Duration::from_secs(15);

/// The database as handlers see it: blocking work runs on actix's blocking
/// pool, never on the async workers.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// SQLite allows one writer at a time: queueing writers here (without
    /// holding a thread) avoids `database is locked` and snapshot upgrades.
    sqlite_writer: Option<Arc<Semaphore>>,
    /// Writers waiting for their turn; past `WRITE_QUEUE_MAX` a write is
    /// refused with a 503 instead of queueing without bound.
    waiting_writers: Arc<AtomicUsize>,
    write_queue_max: usize,
    url: Arc<DatabaseUrl>,
    /// This process among the replicas sharing the database (random, new at
    /// each start): who claimed an idempotency key, whose heartbeat is whose.
    replica_id: Arc<str>,
}

impl Db {
    /// Connects once directly (to report the real cause of a failure), runs
    /// the migrations, then builds the pool.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Self> {
        let mut first = establish(url)?;
        migrate(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(PoolErrors::default()))
            .build(ConnectionManager { url: url.clone() })
            .context("cannot build the database pool")?;
        Ok(Self {
            pool,
            sqlite_writer: url.is_sqlite().then(|| Arc::new(Semaphore::new(1))),
            waiting_writers: Arc::new(AtomicUsize::new(0)),
            write_queue_max: WRITE_QUEUE_MAX,
            url: Arc::new(url.clone()),
            replica_id: format!("{:032x}", rand::random::<u128>()).into(),
        })
    }

    /// The same database with another bound on waiting writers (tests).
    pub fn with_write_queue_max(mut self, max: usize) -> Self {
        self.write_queue_max = max;
        self
    }

    /// Waits for SQLite's writer turn, in a bounded queue: a full queue, or a
    /// wait past `WRITE_WAIT_MAX`, is a 503 (the client retries after
    /// `Retry-After`).
    async fn writer_turn(&self) -> Result<Option<tokio::sync::OwnedSemaphorePermit>> {
        let Some(gate) = &self.sqlite_writer else {
            return Ok(None);
        };
        if let Ok(permit) = gate.clone().try_acquire_owned() {
            return Ok(Some(permit));
        }
        let waiting = WaitingWriter::enter(&self.waiting_writers);
        if waiting.position > self.write_queue_max {
            tracing::warn!(
                waiting = waiting.position,
                "too many writes are waiting; answering 503"
            );
            return Err(Error::Unavailable(crate::error::BUSY.into()));
        }
        match tokio::time::timeout(WRITE_WAIT_MAX, gate.clone().acquire_owned()).await {
            Ok(permit) => Ok(Some(permit.map_err(Error::internal)?)),
            Err(_) => {
                tracing::warn!("a write waited too long for its turn; answering 503");
                Err(Error::Unavailable(crate::error::BUSY.into()))
            }
        }
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Writes waiting for their turn right now.
    pub fn waiting_writers(&self) -> usize {
        self.waiting_writers.load(Ordering::Relaxed)
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// A pooled connection for synchronous callers (CLI, start-up).
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>> {
        Ok(self.pool.get()?)
    }

    /// Whether the database answers (and, on PostgreSQL, is the primary)
    /// within `wait`: a readiness probe must answer before the load
    /// balancer's check times out, not after the pool's usual wait.
    pub async fn ping(&self, wait: Duration) -> Result<()> {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get_timeout(wait)?;
            conn.batch_execute("SELECT 1")
                .map_err(|_| Error::Unavailable(crate::error::UNREACHABLE.into()))
        })
        .await?
    }

    /// Runs read-only work on a pooled connection, off the async workers.
    pub async fn read<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }

    /// Runs a short read by key (a few indexed lookups, such as
    /// authenticating a caller or fetching one row). On SQLite it runs right
    /// here on the async worker when a pooled connection is free at once: the
    /// lookups take tens of microseconds, less than the hop to the blocking
    /// pool and back (see docs/PERFORMANCE.md). Otherwise, and always on
    /// PostgreSQL, whose round trips wait on another process, it runs like
    /// `read`. Never use it for scans or for anything that may wait on a lock.
    pub async fn lookup<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.url.is_sqlite()
            && let Some(mut conn) = self.pool.try_get()
        {
            return work(&mut conn);
        }
        self.read(work).await
    }

    /// Runs `work` in one transaction, off the async workers: all of it
    /// commits or none of it does. Inside a request that claimed an
    /// `Idempotency-Key`, the transaction also marks the key applied.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = self.writer_turn().await?;
        let pool = self.pool.clone();
        let claim = idempotency::current_claim();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            let conn: &mut DbConnection = &mut conn;
            write_transaction(conn, |conn| {
                let done = work(conn)?;
                if let Some(claim) = &claim {
                    idempotency::mark_applied(conn, claim)?;
                }
                Ok(done)
            })
        })
        .await?
    }
}

/// Runs `work` in one write transaction. On SQLite it begins with `BEGIN
/// IMMEDIATE`: the write lock is taken first, waiting up to the busy
/// timeout, so a transaction never fails half-way when it upgrades a read
/// snapshot another writer (another process on the same file) has
/// overtaken (`SQLITE_BUSY_SNAPSHOT`, which no busy handler retries, and
/// after which SQLite may already have rolled back).
fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let outcome = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("a connection keeps its backend");
    };
    match outcome {
        Ok(done) => match AnsiTransactionManager::commit_transaction(sqlite) {
            Ok(()) => Ok(done),
            Err(e) => {
                // As diesel's `transaction` does: the commit's error is the
                // answer, whatever the rollback says.
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Err(e)
        }
    }
}

/// Counts a writer in the queue for as long as it waits.
struct WaitingWriter<'a> {
    count: &'a AtomicUsize,
    /// This writer's place in the queue, from 1.
    position: usize,
}

impl<'a> WaitingWriter<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let position = count.fetch_add(1, Ordering::Relaxed) + 1;
        Self { count, position }
    }
}

impl Drop for WaitingWriter<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full writer queue answers 503 at once instead of growing.
    #[actix_web::test]
    async fn a_full_write_queue_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("q.db").display().to_string());
        let db = Db::connect(&url, 2).unwrap().with_write_queue_max(1);
        let slow = {
            let db = db.clone();
            actix_web::rt::spawn(async move {
                db.write(|_| {
                    std::thread::sleep(Duration::from_millis(600));
                    Ok(())
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let (queued, refused) = futures_util::join!(db.write(|_| Ok(1)), async {
            // Enters the queue after the first waiter.
            tokio::time::sleep(Duration::from_millis(50)).await;
            db.write(|_| Ok(2)).await
        });
        assert!(slow.await.unwrap().is_ok());
        assert_eq!(queued.unwrap(), 1);
        assert!(
            matches!(refused, Err(Error::Unavailable(_))),
            "the second waiter is over the bound"
        );
        assert_eq!(db.waiting_writers(), 0);
    }

    /// A write that panics mid-transaction must not hand its open
    /// transaction to the next user of the connection.
    #[actix_web::test]
    async fn a_panicking_write_leaves_no_open_transaction_behind() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("p.db").display().to_string());
        // One connection, so the next write gets the one that panicked.
        let db = Db::connect(&url, 1).unwrap();
        let panicked: Result<()> = db
            .write(|conn| {
                settings::get_or_insert(conn, "lost", "1")?;
                panic!("a bug in the middle of a write");
            })
            .await;
        assert!(panicked.is_err(), "the panic is an error");
        db.write(|conn| Ok(settings::get_or_insert(conn, "kept", "1")?))
            .await
            .unwrap();
        // Another connection sees the second write committed and the first
        // rolled back, and can write at once (no lock left behind).
        let mut other = establish(&url).unwrap();
        assert_eq!(
            settings::get(&mut other, "kept").unwrap().as_deref(),
            Some("1")
        );
        assert_eq!(settings::get(&mut other, "lost").unwrap(), None);
        other.batch_execute("PRAGMA busy_timeout = 0;").unwrap();
        settings::get_or_insert(&mut other, "other", "1").expect("no lock is held");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(contains_pattern("Ann_"), "%ann\\_%");
    }

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://tessera.db").unwrap(),
            DatabaseUrl::Sqlite("tessera.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(
            DatabaseUrl::parse("postgres://u@127.0.0.1:5432/db")
                .unwrap()
                .ne(&DatabaseUrl::Sqlite(String::new()))
        );
        // libpq's list of hosts (a primary and its standby), with the
        // connection timeout added unless it is set.
        assert_eq!(
            DatabaseUrl::parse(
                "postgres://u:pw@127.0.0.1:5433,127.0.0.1:5434/db?target_session_attrs=read-write"
            )
            .unwrap(),
            DatabaseUrl::Postgres(
                "postgres://u:pw@127.0.0.1:5433,127.0.0.1:5434/db?target_session_attrs=read-write&connect_timeout=5".into()
            )
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h1,h2:6543/db?connect_timeout=2").unwrap(),
            DatabaseUrl::Postgres("postgresql://h1,h2:6543/db?connect_timeout=2".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://h/db?connect_timeout=5".into())
        );
        let err = DatabaseUrl::parse("postgres://u:hunter2@h1:5432,h2:port/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid port"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        let err = DatabaseUrl::parse("nope://u:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
