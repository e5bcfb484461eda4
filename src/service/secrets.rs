//! The secrets the database keeps, all at once: encrypting the plaintexts
//! left from before encryption (at start-up), and re-encrypting everything
//! under a new key (`tessera rotate-encryption-key`). Each runs in the
//! caller's transaction, so it is all done or not at all.

use std::collections::BTreeSet;

use anyhow::anyhow;

use crate::crypto::{self, SecretBox};
use crate::db::{self, DbConnection, secrets as stored};
use crate::error::{Error, Result};

/// The ids of the keys the stored secrets are sealed with.
pub fn key_ids(conn: &mut DbConnection) -> Result<BTreeSet<String>> {
    Ok(stored::all(conn)?
        .iter()
        .filter_map(|s| crypto::sealed_key_id(&s.value).map(str::to_owned))
        .collect())
}

/// Seals every secret still stored in plain text; returns how many. Refuses
/// (and changes nothing) when a stored secret is sealed with another key: a
/// server started with the wrong key must not run, nor mix keys.
/// Idempotent: sealed values are left as they are.
pub fn seal_plaintext(conn: &mut DbConnection, secrets: &SecretBox) -> Result<usize> {
    db::advisory_lock(conn, stored::SECRETS_LOCK)?;
    let mut sealed = 0;
    for secret in stored::all(conn)? {
        match crypto::sealed_key_id(&secret.value) {
            Some(id) if id == secrets.key_id() => {}
            Some(other) => {
                return Err(Error::internal(anyhow!(
                    "the stored secrets are encrypted with key {other} ({} for one), but the \
                     encryption key configured is key {}: start with the key they were \
                     encrypted with (TESSERA_ENCRYPTION_KEY, or the key file beside the SQLite \
                     database)",
                    secret.place,
                    secrets.key_id()
                )));
            }
            None => {
                let value = secrets.seal(&secret.value, secret.place.binding());
                if stored::replace(conn, &secret.place, &secret.value, &value)? {
                    sealed += 1;
                }
            }
        }
    }
    Ok(sealed)
}

/// Re-encrypts every stored secret from key `from` to key `to` (sealing
/// plaintexts too); returns how many. Any secret `from` cannot open aborts
/// the whole rotation.
pub fn rotate(conn: &mut DbConnection, from: &SecretBox, to: &SecretBox) -> Result<usize> {
    if from.key_id() == to.key_id() {
        return Err(Error::internal(anyhow!(
            "the new encryption key is the current one (key {})",
            to.key_id()
        )));
    }
    db::advisory_lock(conn, stored::SECRETS_LOCK)?;
    let mut rotated = 0;
    for secret in stored::all(conn)? {
        let at = secret.place.binding();
        let value = if crypto::sealed_key_id(&secret.value).is_some() {
            let plaintext = from.open(&secret.value, at).map_err(|e| {
                Error::internal(anyhow!(
                    "cannot decrypt {} with the current key {}: {e}",
                    secret.place,
                    from.key_id()
                ))
            })?;
            to.seal(&plaintext, at)
        } else {
            to.seal(&secret.value, at)
        };
        if stored::replace(conn, &secret.place, &secret.value, &value)? {
            rotated += 1;
        }
    }
    Ok(rotated)
}
