//! `Idempotency-Key` (as Stripe and the IETF httpapi draft define it): the
//! first successful response to a POST with a key is kept for 24 hours, and
//! a retry with the same key and request gets it again instead of writing
//! twice. Keys live in the database, so every replica honours them.
//!
//! Only a success (2xx) is kept: a refused or failed request wrote nothing,
//! so its key is released and a retry runs again.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::SecretBox;
use crate::db::DbConnection;
use crate::db::idempotency as keys;
use crate::db::replicas;
use crate::domain::time;
use crate::error::{Error, Result};

/// The longest key accepted.
pub const KEY_MAX: usize = 255;

/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);

/// How long a claimed key waits for its first request's response: past it,
/// that request's process is taken for dead and a retry runs again.
pub const LEASE: TimeDelta = TimeDelta::minutes(2);

/// A replica whose heartbeat falls this far behind the newest one is taken
/// for dead, and the keys it claimed for requests still running are
/// abandoned: a retry need not wait for `LEASE`.
pub const REPLICA_GONE_AFTER: TimeDelta = TimeDelta::seconds(10);

/// A key as a client sent it: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: &str) -> std::result::Result<String, String> {
    if raw.is_empty() || raw.len() > KEY_MAX || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "An Idempotency-Key is 1 to {KEY_MAX} visible ASCII characters."
        ));
    }
    Ok(raw.to_owned())
}

/// Whose keys a request's key is among: the authenticated user's (by id,
/// whichever of its tokens or API keys sent it), or without credentials,
/// the exact request's (two anonymous clients never share a key, so only an
/// identical retry replays).
pub fn scope(user_id: Option<&str>, request_hash: &str) -> String {
    let mut hasher = Sha256::new();
    match user_id {
        Some(user_id) => {
            hasher.update(b"user\0");
            hasher.update(user_id.as_bytes());
        }
        None => {
            hasher.update(b"request\0");
            hasher.update(request_hash.as_bytes());
        }
    }
    hex(&hasher.finalize())
}

/// What identifies a request: its method, path, query and body.
pub fn request_hash(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A kept response: status, the headers that describe it, and the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body, base64.
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Begin {
    /// The key is this request's now: run it, then `finish`.
    Run,
    /// The key's first request succeeded: answer this again.
    Replay(StoredResponse),
}

/// Who claims a key: this process's replica id and the request's own
/// nonce, `<replica>/<nonce>`, so that a request can release its own claim
/// and nothing else.
pub fn owner(replica: &str, nonce: &str) -> String {
    format!("{replica}/{nonce}")
}

fn replica_of(owner: &str) -> &str {
    owner.split_once('/').map_or(owner, |(replica, _)| replica)
}

/// Claims `key` in `scope` for a request (`owner`, see `owner`), or finds
/// what its first request answered. The same key with another
/// request is a 422; while the first request runs, a 409. When the first
/// request's process died (its replica stopped stamping its heartbeat, or
/// `LEASE` passed) the request runs again if it had written nothing, and is
/// refused (422) if it had: its writes stand, its response is lost.
pub fn begin(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    owner: &str,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Begin> {
    let now = time::now();
    if keys::claim(conn, scope, key, request_hash, now, owner)? {
        return Ok(Begin::Run);
    }
    let Some(row) = keys::find(conn, scope, key)? else {
        // Released meanwhile: claim it again.
        return claim_or_wait(conn, owner, scope, key, request_hash);
    };
    let expired = row.created < now - RETENTION;
    let abandoned = row.status.is_none()
        && (row.created < now - LEASE
            || owner_gone(conn, replica_of(owner), row.owner.as_deref())?);
    if expired || (abandoned && !row.applied) {
        keys::release(conn, scope, key)?;
        return claim_or_wait(conn, owner, scope, key, request_hash);
    }
    if row.request_hash != request_hash {
        return Err(Error::IdempotencyKeyReused);
    }
    if abandoned {
        return Err(Error::IdempotencyKeyOutcomeLost);
    }
    let Some(sealed) = row.response else {
        // Ended without a response after writing, or still running.
        return Err(if row.status.is_some() {
            Error::IdempotencyKeyOutcomeLost
        } else {
            Error::IdempotencyKeyInProgress
        });
    };
    let at = keys::place(scope, key);
    let opened = secrets
        .open(&sealed, keys::response_binding(&at))
        .map_err(Error::internal)?;
    let stored: StoredResponse = serde_json::from_str(&opened).map_err(Error::internal)?;
    Ok(Begin::Replay(stored))
}

/// Whether the replica that claimed a key has stopped: its heartbeat is
/// missing, or `REPLICA_GONE_AFTER` behind the newest (not behind the clock:
/// after a database outage every replica's stamp is old, and none is dead).
fn owner_gone(conn: &mut DbConnection, me: &str, owner: Option<&str>) -> Result<bool> {
    // A key claimed before owners were recorded: only the lease tells.
    let Some(owner) = owner.map(replica_of) else {
        return Ok(false);
    };
    if owner == me {
        return Ok(false);
    }
    Ok(match replicas::last_seen(conn, owner)? {
        None => true,
        Some((seen, newest)) => newest - seen > REPLICA_GONE_AFTER,
    })
}

fn claim_or_wait(
    conn: &mut DbConnection,
    owner: &str,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Begin> {
    if keys::claim(conn, scope, key, request_hash, time::now(), owner)? {
        Ok(Begin::Run)
    } else {
        Err(Error::IdempotencyKeyInProgress)
    }
}

/// After the request that claimed `key` ran: keeps its response when it
/// succeeded, else releases the key.
pub fn finish(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    owner: &str,
    scope: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<()> {
    if !(200..300).contains(&response.status) {
        return release(conn, owner, scope, key);
    }
    let plain = serde_json::to_string(response).map_err(Error::internal)?;
    let sealed = secrets.seal(&plain, keys::response_binding(&keys::place(scope, key)));
    keys::complete(conn, scope, key, owner, i32::from(response.status), &sealed)?;
    Ok(())
}

/// Ends a key whose request (`owner`) failed or never ran: a retry runs
/// again, unless the request wrote first (its write committed, then it
/// failed or lost the commit's acknowledgement), when a retry is refused
/// (422) rather than applied twice. A key another request holds by now is
/// left alone.
pub fn release(conn: &mut DbConnection, owner: &str, scope: &str, key: &str) -> Result<()> {
    Ok(keys::release_own(conn, scope, key, owner)?)
}

/// Forgets the keys older than their 24 hours; how many.
pub fn purge_expired(conn: &mut DbConnection) -> Result<usize> {
    Ok(keys::purge(conn, time::now() - RETENTION)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(parse_key("4d1f0b8e-2c53-4a4e-9d1e-6f7c1a2b3c4d").is_ok());
        assert!(parse_key(&"k".repeat(255)).is_ok());
        for bad in ["", " ", "a b", "tab\there", "é", &"k".repeat(256)] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_part_credentials_and_anonymous_requests() {
        let request = request_hash("POST", "/users/", "", b"{}");
        let other = request_hash("POST", "/users/", "", b"{ }");
        assert_ne!(request, other);
        // A part cannot shift into the next one.
        assert_ne!(
            request_hash("POST", "/a", "b", b""),
            request_hash("POST", "/ab", "", b"")
        );
        assert_eq!(
            scope(Some("u1"), &request),
            scope(Some("u1"), &other),
            "one user, one scope"
        );
        assert_ne!(scope(Some("u1"), &request), scope(Some("u2"), &request));
        assert_ne!(scope(None, &request), scope(None, &other));
    }
}
