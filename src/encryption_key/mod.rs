//! The key of secrets at rest: where it comes from (`TESSERA_ENCRYPTION_KEY`,
//! or on SQLite a key file beside the database), checking it against the
//! database at start-up, and `tessera rotate-encryption-key`.

mod key_file;

use std::path::PathBuf;

use anyhow::{anyhow, bail};
use diesel::Connection;

pub use key_file::KeyFile;

use crate::config::{SecretSetting, Settings};
use crate::crypto::{EncryptionKey, SecretBox};
use crate::db::{self, DatabaseUrl, Db, secrets as stored};
use crate::error::Error;
use crate::service;

pub const REQUIRED_ON_POSTGRES: &str = "TESSERA_ENCRYPTION_KEY is required with PostgreSQL: every replica must decrypt the same secrets (32 bytes as 64 hex characters or base64, e.g. `openssl rand -hex 32`)";

fn parse(setting: &SecretSetting, name: &str) -> anyhow::Result<EncryptionKey> {
    EncryptionKey::parse(setting.expose()).map_err(|m| anyhow!("{name} {m}"))
}

/// The service's errors carry their cause; at start-up and in the CLI that
/// cause is the message.
fn cause(e: Error) -> anyhow::Error {
    match e {
        Error::Internal(cause) => cause,
        other => anyhow!("{other}"),
    }
}

/// Start-up: resolves the key, seals the secrets still stored in plain text
/// (from before encryption) in one transaction, and refuses a key that is
/// not the one the stored secrets are sealed with.
pub async fn unlock(db: &Db, setting: Option<&SecretSetting>) -> anyhow::Result<SecretBox> {
    let key = match (setting, db.url()) {
        (Some(text), _) => parse(text, "TESSERA_ENCRYPTION_KEY")?,
        (None, DatabaseUrl::Postgres(_)) => bail!(REQUIRED_ON_POSTGRES),
        (None, DatabaseUrl::Sqlite(path)) => {
            let file = KeyFile::beside(path);
            let ids = db.read(service::secrets::key_ids).await.map_err(cause)?;
            actix_web::web::block(move || file.load_or_create(&ids)).await??
        }
    };
    let secrets = SecretBox::new(&key);
    let sealing = secrets.clone();
    let sealed = db
        .write(move |conn| service::secrets::seal_plaintext(conn, &sealing))
        .await
        .map_err(cause)?;
    if sealed > 0 {
        db.read(|conn| Ok(stored::scrub_sqlite(conn)?))
            .await
            .map_err(cause)?;
        tracing::info!(sealed, "encrypted the secrets stored in plain text");
    }
    Ok(secrets)
}

/// The key of a one-shot command on a direct connection (`tessera export`,
/// `tessera import`), found as at start-up: `TESSERA_ENCRYPTION_KEY`, or on
/// SQLite the key file beside the database (generated when the database
/// holds no secret yet).
pub fn for_command(
    settings: &Settings,
    url: &DatabaseUrl,
    conn: &mut db::DbConnection,
) -> anyhow::Result<SecretBox> {
    let key = match (&settings.encryption_key, url) {
        (Some(text), _) => parse(text, "TESSERA_ENCRYPTION_KEY")?,
        (None, DatabaseUrl::Postgres(_)) => bail!(REQUIRED_ON_POSTGRES),
        (None, DatabaseUrl::Sqlite(path)) => {
            let ids = service::secrets::key_ids(conn).map_err(cause)?;
            KeyFile::beside(path).load_or_create(&ids)?
        }
    };
    Ok(SecretBox::new(&key))
}

/// What `rotate` did.
pub struct Rotated {
    /// Secrets re-encrypted.
    pub secrets: usize,
    pub new_key_id: String,
    /// The key file now holding the new key (SQLite without
    /// `TESSERA_ENCRYPTION_KEY`).
    pub key_file: Option<PathBuf>,
}

/// `tessera rotate-encryption-key`: re-encrypts every stored secret from the
/// current key (`TESSERA_ENCRYPTION_KEY`, or the key file) to `new_key`, in
/// one transaction. With a key file, `new_key` may be omitted (one is
/// generated), and the file holds the new key once the transaction committed.
/// Tessera must not be running meanwhile: a running server keeps the old key.
pub fn rotate(settings: &Settings, new_key: Option<&SecretSetting>) -> anyhow::Result<Rotated> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let mut conn = db::establish(&url)?;
    db::migrate(&mut conn)?;
    let key_file = match (&settings.encryption_key, &url) {
        (None, DatabaseUrl::Sqlite(path)) => Some(KeyFile::beside(path)),
        _ => None,
    };
    let current = match (&settings.encryption_key, &key_file) {
        (Some(text), _) => parse(text, "TESSERA_ENCRYPTION_KEY")?,
        (None, Some(file)) => {
            let ids = service::secrets::key_ids(&mut conn).map_err(cause)?;
            file.load(&ids)?.ok_or_else(|| {
                anyhow!(
                    "no encryption key: {} does not exist and TESSERA_ENCRYPTION_KEY is unset",
                    file.path().display()
                )
            })?
        }
        (None, None) => bail!(REQUIRED_ON_POSTGRES),
    };
    let new = match (new_key, &key_file) {
        (Some(text), _) => parse(text, "the new key (--new-key, TESSERA_NEW_ENCRYPTION_KEY)")?,
        (None, Some(_)) => EncryptionKey::generate(),
        (None, None) => bail!(
            "the new key is required (--new-key or TESSERA_NEW_ENCRYPTION_KEY) when the current one comes from TESSERA_ENCRYPTION_KEY"
        ),
    };
    let (from, to) = (SecretBox::new(&current), SecretBox::new(&new));
    if from.key_id() == to.key_id() {
        bail!("the new encryption key is the current one");
    }
    if let Some(file) = &key_file {
        file.stage(&new)?;
    }
    let rotated = conn.transaction(|conn| service::secrets::rotate(conn, &from, &to));
    let secrets = match rotated {
        Ok(count) => count,
        Err(e) => {
            if let Some(file) = &key_file {
                file.discard_staged();
            }
            return Err(cause(e));
        }
    };
    if let Some(file) = &key_file {
        file.commit_staged()?;
    }
    stored::scrub_sqlite(&mut conn)?;
    Ok(Rotated {
        secrets,
        new_key_id: to.key_id().to_owned(),
        key_file: key_file.map(|f| f.path().to_owned()),
    })
}
