//! The keys that sign access tokens: created at first start, rotated by
//! `tessera signing-keys rotate` or the scheduler, loaded by every replica
//! from the database (private keys sealed by the encryption key), and
//! published as a JWKS.
//!
//! Rotation never breaks a token: the next key is published as soon as it
//! is created, signs only after a grace period (so verifiers that cache the
//! JWKS learn it first), and the key it replaces stays published until the
//! last token it may have signed has expired.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDateTime, TimeDelta};
use serde_json::Value;

use crate::auth::token::{self, Claims, Rejected, SigningKey, TokenKeys};
use crate::crypto::SecretBox;
use crate::db::signing_keys::{self as db_keys, SigningKeyRow};
use crate::db::{self, Db, DbConnection, secrets as places, settings};
use crate::domain::id::PublicId;
use crate::domain::time;
use crate::domain::token::TokenAlgorithm;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Serializes the creation of the first key between replicas starting together.
pub const SIGNING_KEYS_LOCK: i64 = 7358212;

/// The longest a replica may take to notice a new key (its reload interval
/// is capped below this), added to how long a replaced key stays published.
pub const RELOAD_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// When asymmetric keys replaced HS256 (unix time), kept in `settings`.
const HS256_CUTOVER: &str = "hs256_cutover";

/// A key generated off the database's threads, ready to store.
pub struct NewKey {
    id: String,
    algorithm: TokenAlgorithm,
    generated: token::GeneratedKey,
}

/// Generates a key pair (RSA takes a while: do it outside transactions).
pub fn generate(algorithm: TokenAlgorithm) -> Result<NewKey> {
    Ok(NewKey {
        id: PublicId::random().into_string(),
        algorithm,
        generated: token::generate(algorithm).map_err(Error::internal)?,
    })
}

fn row(
    secrets: &SecretBox,
    key: &NewKey,
    now: NaiveDateTime,
    signs_from: NaiveDateTime,
) -> SigningKeyRow {
    let der = zeroize::Zeroizing::new(STANDARD.encode(&*key.generated.private_der));
    SigningKeyRow {
        id: key.id.clone(),
        algorithm: key.algorithm,
        private_key: secrets.seal(&der, places::signing_key(&key.id)),
        public_jwk: key.generated.public_jwk.to_string(),
        created: now,
        signs_from,
        published_until: None,
    }
}

/// At start-up: stores `first` as the signing key when there is none (the
/// first start of this version; `first` is generated when `any` said so,
/// and keys are never all deleted), and records when that happened (the
/// end of HS256 issuance). Answers the HS256 cut-over time (unix seconds).
pub fn ensure(conn: &mut DbConnection, secrets: &SecretBox, first: Option<&NewKey>) -> Result<i64> {
    db::advisory_lock(conn, SIGNING_KEYS_LOCK)?;
    let now = time::now();
    if db_keys::newest(conn)?.is_none() {
        let first = first.ok_or_else(|| {
            Error::internal(anyhow::anyhow!("no token-signing key and none generated"))
        })?;
        db_keys::insert(conn, &row(secrets, first, now, now))?;
    }
    let cutover =
        settings::get_or_insert(conn, HS256_CUTOVER, &now.and_utc().timestamp().to_string())?;
    cutover
        .parse()
        .map_err(|_| Error::internal(anyhow::anyhow!("the stored {HS256_CUTOVER} is not a time")))
}

/// Whether any key is stored.
pub fn any(conn: &mut DbConnection) -> Result<bool> {
    Ok(db_keys::newest(conn)?.is_some())
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub key_id: String,
    pub algorithm: TokenAlgorithm,
    pub signs_from: NaiveDateTime,
    /// Keys deleted because no token they signed can still be valid.
    pub pruned: usize,
}

/// Adds `next` as the next signing key: published now, signing after
/// `grace`; every earlier key stays published until the tokens it may sign
/// until then have expired (`ttl` later, plus `RELOAD_MARGIN`).
pub fn rotate(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    next: &NewKey,
    grace: Duration,
    ttl: Duration,
) -> Result<Rotated> {
    db::advisory_lock(conn, SIGNING_KEYS_LOCK)?;
    let now = time::now();
    let pruned = db_keys::prune(conn, now)?;
    // The first key of all signs at once: nothing to overlap with.
    let grace = if db_keys::newest(conn)?.is_some() {
        grace
    } else {
        Duration::ZERO
    };
    let grace = TimeDelta::from_std(grace).map_err(Error::internal)?;
    let ttl = TimeDelta::from_std(ttl).map_err(Error::internal)?;
    let signs_from = now + grace;
    db_keys::retire_all(conn, signs_from + ttl + RELOAD_MARGIN)?;
    db_keys::insert(conn, &row(secrets, next, now, signs_from))?;
    Ok(Rotated {
        key_id: next.id.clone(),
        algorithm: next.algorithm,
        signs_from,
        pruned,
    })
}

/// Whether the newest key is older than `every` (automatic rotation).
pub fn rotation_due(conn: &mut DbConnection, every: TimeDelta) -> Result<bool> {
    Ok(db_keys::newest(conn)?.is_none_or(|k| k.created + every <= time::now()))
}

/// Rotates (see `rotate`) if the newest key is older than `every`, judged
/// under the lock, so replicas racing to rotate rotate once.
pub fn rotate_if_due(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    next: &NewKey,
    every: TimeDelta,
    grace: Duration,
    ttl: Duration,
) -> Result<Option<Rotated>> {
    db::advisory_lock(conn, SIGNING_KEYS_LOCK)?;
    if !rotation_due(conn, every)? {
        return Ok(None);
    }
    rotate(conn, secrets, next, grace, ttl).map(Some)
}

/// Automatic rotation, as the scheduler runs it.
#[derive(Clone)]
pub struct AutoRotation {
    pub secrets: SecretBox,
    pub every: TimeDelta,
    pub grace: Duration,
    pub ttl: Duration,
    pub algorithm: TokenAlgorithm,
}

/// Rotates when due (a cheap read otherwise); the rotation, if any.
pub async fn auto_rotate(db: &Db, rotation: &AutoRotation) -> Result<Option<Rotated>> {
    let every = rotation.every;
    if !db.read(move |conn| rotation_due(conn, every)).await? {
        return Ok(None);
    }
    let algorithm = rotation.algorithm;
    let next = tokio::task::spawn_blocking(move || generate(algorithm))
        .await
        .map_err(Error::internal)??;
    let rotation = rotation.clone();
    db.write(move |conn| {
        rotate_if_due(
            conn,
            &rotation.secrets,
            &next,
            rotation.every,
            rotation.grace,
            rotation.ttl,
        )
    })
    .await
}

/// Every published key, opened and ready to sign and verify.
pub fn load(conn: &mut DbConnection, secrets: &SecretBox) -> Result<Vec<SigningKey>> {
    db_keys::published(conn, time::now())?
        .into_iter()
        .map(|row| {
            let der = secrets
                .open(&row.private_key, places::signing_key(&row.id))
                .map_err(|e| Error::internal(anyhow::anyhow!("signing key {}: {e}", row.id)))?;
            let der =
                zeroize::Zeroizing::new(STANDARD.decode(der.as_bytes()).map_err(Error::internal)?);
            let jwk: Value = serde_json::from_str(&row.public_jwk).map_err(Error::internal)?;
            SigningKey::new(
                &row.id,
                row.algorithm,
                &der,
                &jwk,
                row.signs_from.and_utc().timestamp(),
            )
            .map_err(Error::internal)
        })
        .collect()
}

/// The published public keys, as JWKs.
pub fn jwks(conn: &mut DbConnection) -> Result<Vec<Value>> {
    db_keys::published(conn, time::now())?
        .into_iter()
        .map(|row| {
            let jwk: Value = serde_json::from_str(&row.public_jwk).map_err(Error::internal)?;
            Ok(token::published_jwk(&row.id, row.algorithm, &jwk))
        })
        .collect()
}

/// Reloads the published keys into `keys`.
pub async fn reload(db: &Db, secrets: &SecretBox, keys: &TokenKeys) -> Result<()> {
    let secrets = secrets.clone();
    let loaded = db.read(move |conn| load(conn, &secrets)).await?;
    if loaded.is_empty() {
        return Err(Error::internal(anyhow::anyhow!(
            "no token-signing key is published"
        )));
    }
    keys.replace(loaded);
    Ok(())
}

/// Reloads the keys every `every`, so a rotation made elsewhere (another
/// replica, the command line) starts signing here on time.
pub fn start_reloading(db: Db, secrets: SecretBox, keys: TokenKeys, every: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = reload(&db, &secrets, &keys).await {
                tracing::warn!(error = %e, "cannot reload the token-signing keys");
            }
        }
    });
}

/// The claims of a valid token (see `TokenKeys::verify`), reloading the
/// keys once when it names one this replica has not loaded yet.
pub async fn verify(state: &AppState, token: &str) -> Option<Claims> {
    match state.tokens.verify(token) {
        Ok(claims) => Some(claims),
        Err(Rejected::UnknownKey) if state.tokens.may_reload() => {
            if let Err(e) = reload(&state.db, &state.secrets, &state.tokens).await {
                tracing::warn!(error = %e, "cannot reload the token-signing keys");
                return None;
            }
            state.tokens.verify(token).ok()
        }
        Err(_) => None,
    }
}
