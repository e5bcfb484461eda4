//! Moving one organization between deployments (`tessera export`,
//! `tessera import`), for instance from SQLite to PostgreSQL, losslessly:
//! every row the organization owns, with its ids, hashes, times and audit
//! trail as stored.
//!
//! The file is JSON lines, written and read one record at a time so memory
//! stays bounded: a header, then one `{"table": ..., "row": {...}}` line per
//! row, parents before children, then an end record counting the rows of
//! each table (a truncated file is refused). Sealed secrets are opened with
//! the exporting deployment's key and written in plain text, then sealed
//! with the importing deployment's key: the file holds secrets. See
//! docs/OPERATIONS.md, "Moving an organization between deployments", for
//! what is not moved and why.
//!
//! An import is one transaction: it refuses, writing nothing, an
//! organization, a user id or an e-mail address the deployment already has,
//! a row of another organization, or a row linking outside the organization
//! the file brings.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, QueryResult};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::{self, Binding, OpenError, SecretBox};
use crate::db::DbConnection;
use crate::db::secrets as places;
use crate::db::transfer::{
    self as rows, AccessReviewItemRecord, AccessReviewRecord, AccessReviewReviewerRecord,
    ApiKeyRecord, AuditEventRecord, InvitationRecord, LabelRecord, OrganizationRecord, PAGE,
    RoleRecord, SsoConnectionRecord, SsoDomainRecord, Table, TargetRecord, TargetTeamRecord,
    TeamRecord, UserLabelRecord, UserRecord, UserRoleRecord, WebhookDeliveryRecord, WebhookRecord,
};
use crate::domain::time;

/// What the header's `format` says.
pub const FORMAT: &str = "tessera-organization";
/// The format's version; an import refuses any other.
pub const VERSION: u32 = 1;
/// The longest line an import reads (a row is far smaller; this bounds the
/// memory a damaged or hostile file can take).
pub const MAX_LINE: u64 = 16 * 1024 * 1024;

/// Why an export or an import failed. Messages name tables, ids and line
/// numbers, never the values a file holds (it holds secrets).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("there is no organization {0}")]
    NoSuchOrganization(String),
    #[error("organization {0} already exists in this deployment")]
    OrganizationExists(String),
    #[error("user {0} already exists in this deployment")]
    UserExists(String),
    #[error(
        "the e-mail address of user {0} is already taken in this deployment (e-mail addresses must be unique across the deployment for an import)"
    )]
    EmailTaken(String),
    #[error("{table} {key} already exists in this deployment")]
    RowExists { table: &'static str, key: String },
    #[error("line {line}: {message}")]
    Format { line: u64, message: String },
    #[error("the file is version {found} of the format; this Tessera reads version {VERSION}")]
    Version { found: u32 },
    #[error("the file ends before its end record: it is truncated")]
    Truncated,
    #[error("{table}: the end record counts {expected} rows, the file held {found}")]
    Count {
        table: String,
        expected: u64,
        found: u64,
    },
    #[error("{0}: the file links rows to another organization")]
    ForeignLink(String),
    #[error("cannot decrypt {place} with the current encryption key {key_id}: {cause}")]
    Secret {
        place: String,
        key_id: String,
        cause: OpenError,
    },
    #[error(
        "the secrets stored in this deployment are encrypted with key {found}, not with the configured key {expected}: import with the deployment's own key"
    )]
    OtherKey { found: String, expected: String },
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("database: {0}")]
    Database(#[from] DieselError),
}

/// The first record of a file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub organization_id: String,
    pub exported: NaiveDateTime,
    /// The Tessera version that wrote the file.
    pub tessera_version: String,
    /// `sqlite` or `postgresql`, for the reader's information.
    pub backend: String,
}

/// The last record: rows written per table.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    pub rows: BTreeMap<String, u64>,
}

/// A line as read.
#[derive(Deserialize)]
#[serde(tag = "table", content = "row", deny_unknown_fields)]
enum Record {
    #[serde(rename = "header")]
    Header(Header),
    #[serde(rename = "organizations")]
    Organization(OrganizationRecord),
    #[serde(rename = "users")]
    User(Box<UserRecord>),
    #[serde(rename = "labels")]
    Label(LabelRecord),
    #[serde(rename = "user_labels")]
    UserLabel(UserLabelRecord),
    #[serde(rename = "roles")]
    Role(RoleRecord),
    #[serde(rename = "teams")]
    Team(TeamRecord),
    #[serde(rename = "targets")]
    Target(TargetRecord),
    #[serde(rename = "target_teams")]
    TargetTeam(TargetTeamRecord),
    #[serde(rename = "user_roles")]
    UserRole(UserRoleRecord),
    #[serde(rename = "api_keys")]
    ApiKey(ApiKeyRecord),
    #[serde(rename = "invitations")]
    Invitation(InvitationRecord),
    #[serde(rename = "audit_events")]
    AuditEvent(AuditEventRecord),
    #[serde(rename = "webhooks")]
    Webhook(WebhookRecord),
    #[serde(rename = "webhook_deliveries")]
    WebhookDelivery(WebhookDeliveryRecord),
    #[serde(rename = "sso_connections")]
    SsoConnection(SsoConnectionRecord),
    #[serde(rename = "sso_domains")]
    SsoDomain(SsoDomainRecord),
    #[serde(rename = "access_reviews")]
    AccessReview(AccessReviewRecord),
    #[serde(rename = "access_review_reviewers")]
    AccessReviewReviewer(AccessReviewReviewerRecord),
    #[serde(rename = "access_review_items")]
    AccessReviewItem(Box<AccessReviewItemRecord>),
    #[serde(rename = "end")]
    End(End),
}

impl Record {
    /// The record's place in the file: parents come before their children.
    fn rank(&self) -> u8 {
        match self {
            Record::Header(_) => 0,
            Record::Organization(_) => 1,
            Record::User(_) => 2,
            Record::Label(_) => 3,
            Record::UserLabel(_) => 4,
            Record::Role(_) => 5,
            Record::Team(_) => 6,
            Record::Target(_) => 7,
            Record::TargetTeam(_) => 8,
            Record::UserRole(_) => 9,
            Record::ApiKey(_) => 10,
            Record::Invitation(_) => 11,
            Record::AuditEvent(_) => 12,
            Record::Webhook(_) => 13,
            Record::WebhookDelivery(_) => 14,
            Record::SsoConnection(_) => 15,
            Record::SsoDomain(_) => 16,
            Record::AccessReview(_) => 17,
            Record::AccessReviewReviewer(_) => 18,
            Record::AccessReviewItem(_) => 19,
            Record::End(_) => 20,
        }
    }
}

/// Rows per table, as written or inserted.
pub type Counts = BTreeMap<String, u64>;

/// What an export wrote or an import inserted.
#[derive(Debug)]
pub struct Moved {
    pub organization_id: String,
    pub rows: Counts,
}

// ------------------------------------------------------------------ export

/// Writes organization `organization_id` to `out`, from one consistent
/// snapshot (safe while Tessera runs). `secrets` opens the sealed columns.
pub fn export(
    conn: &mut DbConnection,
    organization_id: &str,
    secrets: &SecretBox,
    out: &mut dyn Write,
) -> Result<Moved, TransferError> {
    conn.transaction(|conn| {
        rows::snapshot(conn)?;
        if !rows::organization_exists(conn, organization_id)? {
            return Err(TransferError::NoSuchOrganization(
                organization_id.to_owned(),
            ));
        }
        let mut w = RecordWriter {
            out,
            counts: Counts::new(),
        };
        w.write(
            "header",
            &Header {
                format: FORMAT.to_owned(),
                version: VERSION,
                organization_id: organization_id.to_owned(),
                exported: time::now(),
                tessera_version: env!("CARGO_PKG_VERSION").to_owned(),
                backend: match conn {
                    DbConnection::Sqlite(_) => "sqlite",
                    DbConnection::Postgresql(_) => "postgresql",
                }
                .to_owned(),
            },
        )?;
        let org = organization_id;
        by_id(conn, &mut w, org, rows::organization, |r| &r.id, none)?;
        by_id(
            conn,
            &mut w,
            org,
            rows::users_page,
            |r| &r.id,
            |r: &mut UserRecord| {
                if let Some(stored) = &r.mfa_secret {
                    let plain = unseal(secrets, stored, places::mfa_secret(&r.id), || {
                        format!("the TOTP secret of user {}", r.id)
                    })?;
                    r.mfa_secret = Some(plain.to_string());
                }
                Ok(())
            },
        )?;
        by_id(conn, &mut w, org, rows::labels_page, |r| &r.id, none)?;
        by_pair(conn, &mut w, org, rows::user_labels_page, |r| {
            (&r.user_id, &r.label_id)
        })?;
        by_id(conn, &mut w, org, rows::roles_page, |r| &r.id, none)?;
        by_id(conn, &mut w, org, rows::teams_page, |r| &r.id, none)?;
        by_id(conn, &mut w, org, rows::targets_page, |r| &r.id, none)?;
        by_pair(conn, &mut w, org, rows::target_teams_page, |r| {
            (&r.target_id, &r.team_id)
        })?;
        by_id(conn, &mut w, org, rows::user_roles_page, |r| &r.id, none)?;
        by_id(conn, &mut w, org, rows::api_keys_page, |r| &r.id, none)?;
        by_id(conn, &mut w, org, rows::invitations_page, |r| &r.id, none)?;
        by_id(conn, &mut w, org, rows::audit_events_page, |r| &r.id, none)?;
        by_id(
            conn,
            &mut w,
            org,
            rows::webhooks_page,
            |r| &r.id,
            |r: &mut WebhookRecord| {
                let plain = unseal(secrets, &r.secret, places::webhook_secret(&r.id), || {
                    format!("the secret of webhook {}", r.id)
                })?;
                r.secret = plain.to_string();
                Ok(())
            },
        )?;
        by_id(
            conn,
            &mut w,
            org,
            rows::webhook_deliveries_page,
            |r| &r.id,
            |r: &mut WebhookDeliveryRecord| {
                r.claimed_until = None;
                Ok(())
            },
        )?;
        by_id(
            conn,
            &mut w,
            org,
            rows::sso_connections_page,
            |r| &r.id,
            |r: &mut SsoConnectionRecord| {
                if let Some(stored) = &r.secret {
                    let plain = unseal(secrets, stored, places::sso_secret(&r.id), || {
                        format!("the client secret of SSO connection {}", r.id)
                    })?;
                    r.secret = Some(plain.to_string());
                }
                Ok(())
            },
        )?;
        by_id(
            conn,
            &mut w,
            org,
            rows::sso_domains_page,
            |r| &r.domain,
            none,
        )?;
        by_id(
            conn,
            &mut w,
            org,
            rows::access_reviews_page,
            |r| &r.id,
            none,
        )?;
        by_pair(conn, &mut w, org, rows::access_review_reviewers_page, |r| {
            (&r.review_id, &r.user_id)
        })?;
        by_id(
            conn,
            &mut w,
            org,
            rows::access_review_items_page,
            |r| &r.id,
            none,
        )?;
        let mut counts = w.counts.clone();
        for table in TABLES {
            counts.entry((*table).to_owned()).or_insert(0);
        }
        w.write("end", &End { rows: counts })?;
        w.out.flush()?;
        Ok(Moved {
            organization_id: organization_id.to_owned(),
            rows: w.counts,
        })
    })
}

/// Every table an export writes, in file order.
pub const TABLES: &[&str] = &[
    "organizations",
    "users",
    "labels",
    "user_labels",
    "roles",
    "teams",
    "targets",
    "target_teams",
    "user_roles",
    "api_keys",
    "invitations",
    "audit_events",
    "webhooks",
    "webhook_deliveries",
    "sso_connections",
    "sso_domains",
    "access_reviews",
    "access_review_reviewers",
    "access_review_items",
];

struct RecordWriter<'a> {
    out: &'a mut dyn Write,
    counts: Counts,
}

impl RecordWriter<'_> {
    fn write<T: Serialize>(&mut self, table: &str, row: &T) -> io::Result<()> {
        #[derive(Serialize)]
        struct Line<'r, T> {
            table: &'r str,
            row: &'r T,
        }
        serde_json::to_writer(&mut *self.out, &Line { table, row })?;
        self.out.write_all(b"\n")
    }

    fn row<R: Table>(&mut self, row: &R) -> io::Result<()> {
        self.write(R::NAME, row)?;
        *self.counts.entry(R::NAME.to_owned()).or_insert(0) += 1;
        Ok(())
    }
}

/// A secret as stored, opened (a plaintext left from before encryption is
/// taken as it is).
fn unseal(
    secrets: &SecretBox,
    stored: &str,
    at: Binding<'_>,
    place: impl FnOnce() -> String,
) -> Result<Zeroizing<String>, TransferError> {
    if crypto::sealed_key_id(stored).is_none() {
        return Ok(Zeroizing::new(stored.to_owned()));
    }
    secrets
        .open(stored, at)
        .map_err(|cause| TransferError::Secret {
            place: place(),
            key_id: secrets.key_id().to_owned(),
            cause,
        })
}

/// No preparation: the row is written as stored.
fn none<R>(_: &mut R) -> Result<(), TransferError> {
    Ok(())
}

/// Writes a table keyed by one id, page by page; `prepare` readies each row
/// (unsealing its secrets), which is wiped once written.
fn by_id<R: Table + Scrub>(
    conn: &mut DbConnection,
    w: &mut RecordWriter<'_>,
    org: &str,
    page: fn(&mut DbConnection, &str, Option<&str>) -> QueryResult<Vec<R>>,
    key: fn(&R) -> &String,
    mut prepare: impl FnMut(&mut R) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    let mut after: Option<String> = None;
    loop {
        let batch = page(conn, org, after.as_deref())?;
        let done = batch.len() < PAGE as usize;
        for mut row in batch {
            let written = prepare(&mut row).and_then(|()| Ok(w.row(&row)?));
            after = Some(key(&row).clone());
            row.scrub();
            written?;
        }
        if done {
            return Ok(());
        }
    }
}

/// A page of a link table after a pair of ids (`db::transfer`).
type PairPage<R> = fn(&mut DbConnection, &str, Option<(&str, &str)>) -> QueryResult<Vec<R>>;

/// Writes a link table keyed by two ids, page by page.
fn by_pair<R: Table>(
    conn: &mut DbConnection,
    w: &mut RecordWriter<'_>,
    org: &str,
    page: PairPage<R>,
    key: fn(&R) -> (&String, &String),
) -> Result<(), TransferError> {
    let mut after: Option<(String, String)> = None;
    loop {
        let batch = page(
            conn,
            org,
            after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        )?;
        let done = batch.len() < PAGE as usize;
        for row in batch {
            w.row(&row)?;
            let (a, b) = key(&row);
            after = Some((a.clone(), b.clone()));
        }
        if done {
            return Ok(());
        }
    }
}

/// Wipes the plaintext secrets a record held once it is written or sealed.
trait Scrub {
    fn scrub(&mut self) {}
}

impl Scrub for OrganizationRecord {}
impl Scrub for LabelRecord {}
impl Scrub for RoleRecord {}
impl Scrub for TeamRecord {}
impl Scrub for TargetRecord {}
impl Scrub for UserRoleRecord {}
impl Scrub for ApiKeyRecord {}
impl Scrub for InvitationRecord {}
impl Scrub for AuditEventRecord {}
impl Scrub for WebhookDeliveryRecord {}
impl Scrub for SsoDomainRecord {}
impl Scrub for AccessReviewRecord {}
impl Scrub for AccessReviewItemRecord {}

impl Scrub for UserRecord {
    fn scrub(&mut self) {
        self.mfa_secret.zeroize();
    }
}

impl Scrub for WebhookRecord {
    fn scrub(&mut self) {
        self.secret.zeroize();
    }
}

impl Scrub for SsoConnectionRecord {
    fn scrub(&mut self) {
        self.secret.zeroize();
    }
}

// ------------------------------------------------------------------ import

/// Inserts the organization `input` holds, in one transaction: all of it,
/// or (on any error) nothing. `secrets` seals the secrets with this
/// deployment's key.
pub fn import(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    input: &mut dyn BufRead,
) -> Result<Moved, TransferError> {
    conn.transaction(|conn| {
        // Secrets sealed with two keys would keep the server from starting.
        for stored in places::all(conn)? {
            if let Some(found) = crypto::sealed_key_id(&stored.value)
                && found != secrets.key_id()
            {
                return Err(TransferError::OtherKey {
                    found: found.to_owned(),
                    expected: secrets.key_id().to_owned(),
                });
            }
        }
        let mut reader = RecordReader {
            input,
            line: 0,
            buf: String::new(),
        };
        let org = match reader.next()? {
            Some(Record::Header(header)) => {
                if header.format != FORMAT {
                    return Err(reader.error("not a Tessera organization export"));
                }
                if header.version != VERSION {
                    return Err(TransferError::Version {
                        found: header.version,
                    });
                }
                header.organization_id
            }
            Some(_) => return Err(reader.error("the file does not start with its header")),
            None => return Err(TransferError::Truncated),
        };
        let mut counts = Counts::new();
        let mut rank = 0;
        loop {
            let Some(record) = reader.next()? else {
                return Err(TransferError::Truncated);
            };
            if record.rank() < rank {
                return Err(reader.error("the records are out of order"));
            }
            if record.rank() > 1 && !counts.contains_key("organizations") {
                return Err(reader.error("the organization's record is missing"));
            }
            if matches!(record, Record::Organization(_)) && counts.contains_key("organizations") {
                return Err(reader.error("a second organization"));
            }
            rank = record.rank();
            let line = reader.line;
            let mut put = |conn: &mut DbConnection, row: &dyn Insert| {
                insert(conn, &org, line, row, &mut counts)
            };
            match record {
                Record::Header(_) => return Err(reader.error("a second header")),
                Record::Organization(row) => {
                    if row.id != org {
                        return Err(reader.error("the organization is not the header's"));
                    }
                    put(conn, &row).map_err(|e| match e {
                        TransferError::RowExists { .. } => {
                            TransferError::OrganizationExists(org.clone())
                        }
                        other => other,
                    })?;
                }
                Record::User(mut row) => {
                    if rows::user_exists(conn, &row.id)? {
                        return Err(TransferError::UserExists(row.id.clone()));
                    }
                    if rows::email_taken(conn, &row.email)? {
                        return Err(TransferError::EmailTaken(row.id.clone()));
                    }
                    if let Some(plain) = &mut row.mfa_secret {
                        *plain = seal(secrets, plain, places::mfa_secret(&row.id), line)?;
                    }
                    put(conn, &*row)?;
                }
                Record::Label(row) => put(conn, &row)?,
                Record::UserLabel(row) => put(conn, &row)?,
                Record::Role(row) => {
                    if row.builtin || row.organization_id.is_none() {
                        return Err(reader.error("a built-in role (they are not moved)"));
                    }
                    put(conn, &row)?;
                }
                Record::Team(row) => put(conn, &row)?,
                Record::Target(row) => put(conn, &row)?,
                Record::TargetTeam(row) => put(conn, &row)?,
                Record::UserRole(row) => put(conn, &row)?,
                Record::ApiKey(row) => put(conn, &row)?,
                Record::Invitation(row) => put(conn, &row)?,
                Record::AuditEvent(row) => put(conn, &row)?,
                Record::Webhook(mut row) => {
                    row.secret = seal(
                        secrets,
                        &mut row.secret,
                        places::webhook_secret(&row.id),
                        line,
                    )?;
                    put(conn, &row)?;
                }
                Record::WebhookDelivery(row) => put(conn, &row)?,
                Record::SsoConnection(mut row) => {
                    if let Some(plain) = &mut row.secret {
                        *plain = seal(secrets, plain, places::sso_secret(&row.id), line)?;
                    }
                    put(conn, &row)?;
                }
                Record::SsoDomain(row) => put(conn, &row)?,
                Record::AccessReview(row) => put(conn, &row)?,
                Record::AccessReviewReviewer(row) => put(conn, &row)?,
                Record::AccessReviewItem(row) => put(conn, &*row)?,
                Record::End(end) => {
                    check_counts(&end.rows, &counts)?;
                    let linked = rows::linked_counts(conn, &org)?;
                    for (table, inserted) in &counts {
                        if linked.get(table).copied().unwrap_or(0) != *inserted {
                            return Err(TransferError::ForeignLink(table.clone()));
                        }
                    }
                    if reader.next()?.is_some() {
                        return Err(reader.error("records after the end record"));
                    }
                    return Ok(Moved {
                        organization_id: org,
                        rows: counts,
                    });
                }
            }
        }
    })
}

/// A record as the import inserts it.
trait Insert {
    fn name(&self) -> &'static str;
    fn key(&self) -> String;
    fn organization_id(&self) -> Option<&str>;
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize>;
}

impl<R: Table> Insert for R {
    fn name(&self) -> &'static str {
        R::NAME
    }
    fn key(&self) -> String {
        Table::key(self)
    }
    fn organization_id(&self) -> Option<&str> {
        Table::organization_id(self)
    }
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        Table::insert(self, conn)
    }
}

/// Inserts one row of organization `org`, naming what went wrong.
fn insert(
    conn: &mut DbConnection,
    org: &str,
    line: u64,
    row: &dyn Insert,
    counts: &mut Counts,
) -> Result<(), TransferError> {
    if row.organization_id().is_some_and(|o| o != org) {
        return Err(TransferError::Format {
            line,
            message: format!(
                "{} {} belongs to another organization",
                row.name(),
                row.key()
            ),
        });
    }
    match row.insert(conn) {
        Ok(_) => {
            *counts.entry(row.name().to_owned()).or_insert(0) += 1;
            Ok(())
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(TransferError::RowExists {
                table: row.name(),
                key: row.key(),
            })
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            Err(TransferError::Format {
                line,
                message: format!(
                    "{} {} refers to a row that is neither in the file before it nor built in",
                    row.name(),
                    row.key()
                ),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// `plaintext` sealed for `at`; the plaintext is wiped.
fn seal(
    secrets: &SecretBox,
    plaintext: &mut String,
    at: Binding<'_>,
    line: u64,
) -> Result<String, TransferError> {
    if crypto::sealed_key_id(plaintext).is_some() {
        plaintext.zeroize();
        return Err(TransferError::Format {
            line,
            message: "a secret is still sealed (an export holds them opened)".into(),
        });
    }
    let sealed = secrets.seal(plaintext, at);
    plaintext.zeroize();
    Ok(sealed)
}

fn check_counts(expected: &Counts, found: &Counts) -> Result<(), TransferError> {
    for table in expected.keys().chain(found.keys()) {
        let (e, f) = (
            expected.get(table).copied().unwrap_or(0),
            found.get(table).copied().unwrap_or(0),
        );
        if e != f {
            return Err(TransferError::Count {
                table: table.clone(),
                expected: e,
                found: f,
            });
        }
    }
    Ok(())
}

struct RecordReader<'a> {
    input: &'a mut dyn BufRead,
    line: u64,
    buf: String,
}

impl RecordReader<'_> {
    fn error(&self, message: &str) -> TransferError {
        TransferError::Format {
            line: self.line,
            message: message.to_owned(),
        }
    }

    /// The next record, or `None` at the end of the input. Blank lines are
    /// skipped. The line read is wiped before the next one is read.
    fn next(&mut self) -> Result<Option<Record>, TransferError> {
        loop {
            self.buf.zeroize();
            let read = (&mut *self.input)
                .take(MAX_LINE + 1)
                .read_line(&mut self.buf)?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if read as u64 > MAX_LINE {
                return Err(self.error("the line is too long"));
            }
            if self.buf.trim().is_empty() {
                continue;
            }
            let mut de = serde_json::Deserializer::from_str(&self.buf);
            let record: Record =
                serde_path_to_error::deserialize(&mut de).map_err(|e| self.error(&describe(&e)))?;
            de.end()
                .map_err(|_| self.error("more than one record on the line"))?;
            self.buf.zeroize();
            return Ok(Some(record));
        }
    }
}

/// A parse error without the value it met (which may be a secret).
fn describe(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = e.inner();
    let what = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "not a JSON record".to_owned()
        }
        serde_json::error::Category::Io => "unreadable".to_owned(),
        serde_json::error::Category::Data => {
            let message = inner.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            if ["invalid type", "invalid value", "invalid length"]
                .iter()
                .any(|p| message.starts_with(p))
            {
                "a value of the wrong type or form".to_owned()
            } else {
                message.to_owned()
            }
        }
    };
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        what
    } else {
        format!("{what} (at {path})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Record>, TransferError> {
        let mut input = text.as_bytes();
        let mut reader = RecordReader {
            input: &mut input,
            line: 0,
            buf: String::new(),
        };
        let mut records = Vec::new();
        while let Some(record) = reader.next()? {
            records.push(record);
        }
        Ok(records)
    }

    const WEBHOOK: &str = r#"{"table":"webhooks","row":{"id":"W1","organization_id":"O1","url":"https://h.example.com","events":"user.*","secret":SECRET,"active":true,"created":"2026-01-01T00:00:00","changed":"2026-01-01T00:00:00","changed_by_id":"U1","changed_by_email":"a@example.com","changed_by_name":"A"}}"#;

    #[test]
    fn records_are_read_line_by_line_skipping_blank_lines() {
        let text = format!(
            "{}\n\n{}\n",
            WEBHOOK.replace("SECRET", r#""whsec_1""#),
            r#"{"table":"end","row":{"rows":{"webhooks":1}}}"#
        );
        let records = read(&text).unwrap();
        assert_eq!(records.len(), 2);
        assert!(matches!(&records[0], Record::Webhook(w) if w.secret == "whsec_1"));
        assert!(matches!(&records[1], Record::End(_)));
    }

    #[test]
    fn a_bad_value_is_named_by_its_place_never_quoted() {
        for bad in [
            r#"["hunter2-secret"]"#,
            r#"{"hunter2-secret":1}"#,
            "4242424242",
        ] {
            let error = read(&WEBHOOK.replace("SECRET", bad))
                .err()
                .unwrap()
                .to_string();
            assert!(error.starts_with("line 1: "), "{error}");
            assert!(error.contains("row.secret"), "{error}");
            assert!(
                !error.contains("hunter2") && !error.contains("4242"),
                "{error}"
            );
        }
        // An unknown enum value fails closed.
        let tier = r#"{"table":"user_roles","row":{"id":"R1","user_id":"U1","role_id":"x","tier":"galaxy","team_id":null,"target_id":null,"created":"2026-01-01T00:00:00"}}"#;
        let error = read(tier).err().unwrap().to_string();
        assert!(
            error.contains("unknown tier") && error.contains("row.tier"),
            "{error}"
        );
    }

    #[test]
    fn unknown_tables_and_columns_are_refused() {
        let column = WEBHOOK.replace("SECRET", r#""s","extra":1"#);
        let error = read(&column).err().unwrap().to_string();
        assert!(error.contains("unknown field `extra`"), "{error}");
        let table = r#"{"table":"revoked_tokens","row":{}}"#;
        assert!(read(table).is_err());
        let two = format!("{0}{0}", r#"{"table":"end","row":{"rows":{}}}"#);
        let error = read(&two).err().unwrap().to_string();
        assert!(error.contains("more than one record"), "{error}");
    }

    #[test]
    fn a_line_too_long_is_refused_without_reading_it_whole() {
        let long = format!("{{\"table\":\"{}", "x".repeat(MAX_LINE as usize + 10));
        let error = read(&long).err().unwrap().to_string();
        assert!(error.contains("too long"), "{error}");
    }

    /// Tables larger than a page are read whole, in pages, and an import
    /// into another SQLite database with another key holds the same rows.
    #[test]
    fn export_pages_through_large_tables_and_import_inserts_them_all() {
        use crate::crypto::EncryptionKey;
        use crate::db::{self, DatabaseUrl};
        use crate::domain::user::Email;
        use crate::service::audit::RequestContext;

        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| {
            let url = DatabaseUrl::Sqlite(dir.path().join(name).display().to_string());
            let mut conn = db::establish(&url).unwrap();
            db::migrate(&mut conn).unwrap();
            conn
        };
        let mut source = open("a.db");
        let (org, _) = source
            .transaction(|conn| {
                crate::service::orgs::bootstrap(
                    conn,
                    &RequestContext::cli(),
                    "Acme",
                    &Email::parse("owner@example.com").unwrap(),
                    "not-a-real-hash".to_owned(),
                )
            })
            .unwrap();
        let options = crate::dev::seed::SeedOptions {
            users: 1200,
            labels: 3,
            teams: 2,
            targets: 3,
            organization_id: Some(org.id.clone()),
        };
        crate::dev::seed::seed(&mut source, &options).unwrap();

        let from = SecretBox::new(&EncryptionKey::generate());
        let mut file = Vec::new();
        let exported = export(&mut source, &org.id, &from, &mut file).unwrap();
        let stored = rows::linked_counts(&mut source, &org.id).unwrap();
        for table in ["users", "user_labels", "user_roles"] {
            assert!(stored[table] > PAGE as u64, "{table}: {stored:?}");
        }
        for (table, count) in &stored {
            assert_eq!(
                exported.rows.get(table).copied().unwrap_or(0),
                *count,
                "{table}"
            );
        }

        let mut target = open("b.db");
        let to = SecretBox::new(&EncryptionKey::generate());
        let imported = import(&mut target, &to, &mut file.as_slice()).unwrap();
        assert_eq!(imported.rows, exported.rows);
        assert_eq!(rows::linked_counts(&mut target, &org.id).unwrap(), stored);
    }
}
