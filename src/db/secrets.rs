//! Every secret the database keeps, and where: the walks that encrypt
//! plaintexts left from before encryption and that re-encrypt under a new
//! key read and write them through here. Each place has its binding (the
//! associated data of its ciphertext, see `crypto::Binding`).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use zeroize::Zeroizing;

use super::DbConnection;
use super::schema::{settings, signing_keys, sso_connections, users, webhooks};
use crate::crypto::Binding;

/// Serializes the walks over every secret between PostgreSQL replicas
/// starting together (SQLite writes are already serialized).
pub const SECRETS_LOCK: i64 = 7358211;

/// Settings whose value is a secret: the generated token-signing key.
pub const SECRET_SETTINGS: [&str; 1] = [super::settings::SIGNING_KEY];

/// A user's TOTP secret (pending or enabled), by user id.
pub fn mfa_secret(user_id: &str) -> Binding<'_> {
    Binding::new("users.mfa_secret", user_id)
}

/// A webhook's signing secret, by webhook id.
pub fn webhook_secret(webhook_id: &str) -> Binding<'_> {
    Binding::new("webhooks.secret", webhook_id)
}

/// A single sign-on connection's secret (the OIDC client secret, or the
/// SAML service provider's private key), by connection id.
pub fn sso_secret(connection_id: &str) -> Binding<'_> {
    Binding::new("sso_connections.secret", connection_id)
}

/// What a sign-in under way keeps sealed (its nonce, its PKCE verifier),
/// by the hash of its state.
pub fn sso_login<'a>(column: &'static str, state_hash: &'a str) -> Binding<'a> {
    Binding::new(column, state_hash)
}

/// A token-signing key's private key, by key id.
pub fn signing_key(key_id: &str) -> Binding<'_> {
    Binding::new("signing_keys.private_key", key_id)
}

/// A secret setting, by key.
pub fn setting(key: &str) -> Binding<'_> {
    Binding::new("settings.value", key)
}

/// Where one stored secret lives.
pub enum Place {
    MfaSecret {
        user_id: String,
    },
    WebhookSecret {
        webhook_id: String,
    },
    Setting {
        key: String,
    },
    SigningKey {
        key_id: String,
    },
    SsoSecret {
        connection_id: String,
    },
    /// A response kept for an `Idempotency-Key` (`at` is `scope/key`).
    IdempotentResponse {
        scope: String,
        key: String,
        at: String,
    },
}

impl Place {
    pub fn binding(&self) -> Binding<'_> {
        match self {
            Place::MfaSecret { user_id } => mfa_secret(user_id),
            Place::WebhookSecret { webhook_id } => webhook_secret(webhook_id),
            Place::Setting { key } => setting(key),
            Place::SigningKey { key_id } => signing_key(key_id),
            Place::IdempotentResponse { at, .. } => super::idempotency::response_binding(at),
            Place::SsoSecret { connection_id } => sso_secret(connection_id),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::MfaSecret { user_id } => write!(f, "the TOTP secret of user {user_id}"),
            Place::WebhookSecret { webhook_id } => {
                write!(f, "the secret of webhook {webhook_id}")
            }
            Place::Setting { key } => write!(f, "the setting {key}"),
            Place::SigningKey { key_id } => write!(f, "the token-signing key {key_id}"),
            Place::IdempotentResponse { .. } => write!(f, "a response kept for an idempotency key"),
            Place::SsoSecret { connection_id } => {
                write!(f, "the client secret of SSO connection {connection_id}")
            }
        }
    }
}

/// One stored secret, as stored (sealed, or a plaintext from before).
/// No `Debug`: the value may be a plaintext.
pub struct StoredSecret {
    pub place: Place,
    pub value: Zeroizing<String>,
}

/// Every stored secret.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<StoredSecret>> {
    let mfa: Vec<(String, Option<String>)> = users::table
        .filter(users::mfa_secret.is_not_null())
        .select((users::id, users::mfa_secret))
        .load(conn)?;
    let hooks: Vec<(String, String)> = webhooks::table
        .select((webhooks::id, webhooks::secret))
        .load(conn)?;
    let stored_settings: Vec<(String, String)> = settings::table
        .filter(settings::key.eq_any(SECRET_SETTINGS))
        .select((settings::key, settings::value))
        .load(conn)?;
    let mfa = mfa.into_iter().filter_map(|(user_id, value)| {
        Some(StoredSecret {
            place: Place::MfaSecret { user_id },
            value: Zeroizing::new(value?),
        })
    });
    let hooks = hooks.into_iter().map(|(webhook_id, value)| StoredSecret {
        place: Place::WebhookSecret { webhook_id },
        value: Zeroizing::new(value),
    });
    let stored_settings = stored_settings
        .into_iter()
        .map(|(key, value)| StoredSecret {
            place: Place::Setting { key },
            value: Zeroizing::new(value),
        });
    let signing = super::signing_keys::sealed(conn)?
        .into_iter()
        .map(|(key_id, value)| StoredSecret {
            place: Place::SigningKey { key_id },
            value: Zeroizing::new(value),
        });
    let responses = super::idempotency::sealed(conn)?
        .into_iter()
        .map(|(scope, key, value)| StoredSecret {
            place: Place::IdempotentResponse {
                at: super::idempotency::place(&scope, &key),
                scope,
                key,
            },
            value: Zeroizing::new(value),
        });
    let sso: Vec<(String, Option<String>)> = sso_connections::table
        .filter(sso_connections::secret.is_not_null())
        .select((sso_connections::id, sso_connections::secret))
        .load(conn)?;
    let sso = sso.into_iter().filter_map(|(connection_id, value)| {
        Some(StoredSecret {
            place: Place::SsoSecret { connection_id },
            value: Zeroizing::new(value?),
        })
    });
    Ok(mfa
        .chain(hooks)
        .chain(sso)
        .chain(stored_settings)
        .chain(signing)
        .chain(responses)
        .collect())
}

/// Writes `new` at `place` if it still holds `old` (so a value changed
/// meanwhile is left alone); whether it was written.
pub fn replace(conn: &mut DbConnection, place: &Place, old: &str, new: &str) -> QueryResult<bool> {
    let written = match place {
        Place::MfaSecret { user_id } => {
            diesel::update(users::table.find(user_id).filter(users::mfa_secret.eq(old)))
                .set(users::mfa_secret.eq(new))
                .execute(conn)?
        }
        Place::WebhookSecret { webhook_id } => diesel::update(
            webhooks::table
                .find(webhook_id)
                .filter(webhooks::secret.eq(old)),
        )
        .set(webhooks::secret.eq(new))
        .execute(conn)?,
        Place::Setting { key } => {
            diesel::update(settings::table.find(key).filter(settings::value.eq(old)))
                .set(settings::value.eq(new))
                .execute(conn)?
        }
        Place::SigningKey { key_id } => diesel::update(
            signing_keys::table
                .find(key_id)
                .filter(signing_keys::private_key.eq(old)),
        )
        .set(signing_keys::private_key.eq(new))
        .execute(conn)?,
        Place::SsoSecret { connection_id } => diesel::update(
            sso_connections::table
                .find(connection_id)
                .filter(sso_connections::secret.eq(old)),
        )
        .set(sso_connections::secret.eq(new))
        .execute(conn)?,
        Place::IdempotentResponse { scope, key, .. } => {
            return super::idempotency::replace(conn, scope, key, old, new);
        }
    };
    Ok(written == 1)
}

/// Wipes the bytes of overwritten values from a SQLite file: SQLite leaves a
/// replaced row's old bytes in free space and in the write-ahead log, where
/// a copy of the file would still show them. Rebuilds the file (`VACUUM`,
/// zeroing what it frees) and empties the log. Must run outside a
/// transaction; nothing to do on PostgreSQL, whose old row versions only
/// `VACUUM` reclaims (see README, "Secrets at rest").
pub fn scrub_sqlite(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute(
            "PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete = OFF;",
        )?;
    }
    Ok(())
}
