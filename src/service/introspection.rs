//! Token introspection (RFC 7662): whether a token or API key stands right
//! now, for a service of the organization that was handed one. It answers
//! from the same checks that authenticate Tessera's own requests, so a
//! revocation, a deactivation or a password change shows at once.

use crate::auth::Caller;
use crate::auth::caller::token_user;
use crate::auth::keys;
use crate::db::keys as db_keys;
use crate::domain::role::Permission;
use crate::domain::time;
use crate::error::{Error, Result};
use crate::service::{Parsed, signing_keys};
use crate::state::AppState;

/// What kind of credential was introspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// A token from `/auth/obtain/` or `/auth/refresh/`.
    AccessToken,
    /// An API key (`tsk_…`) of an API user or a person.
    ApiKey,
}

/// An active credential: what it stands for.
#[derive(Debug)]
pub struct Active {
    pub kind: CredentialKind,
    /// The user (or API user) it acts as.
    pub sub: String,
    pub org: String,
    /// The user's email (a person) or name (an API user).
    pub username: String,
    /// The token's `jti`, or the key's id.
    pub jti: String,
    /// Unix times; a key without expiry has no `exp`.
    pub iat: i64,
    pub exp: Option<i64>,
    /// The token's issuer and audience (none for keys).
    pub iss: Option<String>,
    pub aud: Option<String>,
}

/// `None`: the credential is not active (unknown, expired, revoked, its
/// user deactivated or with a new password, or of another organization:
/// RFC 7662 tells nothing more about an inactive one).
pub type Introspection = Option<Active>;

/// Introspects `token` for `caller`, which needs `tokens.introspect` at
/// account tier (checked before the input is judged).
pub async fn introspect(
    state: &AppState,
    caller: &Caller,
    token: Parsed<String>,
) -> Result<Introspection> {
    caller.require(Permission::TokensIntrospect)?;
    let token = token.into_result()?;
    let org = caller.organization_id().to_owned();
    Ok(stands_for(state, token)
        .await?
        .filter(|active| active.org == org))
}

/// What a token or API key stands for, if it stands, whatever its
/// organization (the caller decides what another organization's means).
pub async fn stands_for(state: &AppState, token: String) -> Result<Introspection> {
    if let Some(prefix) = keys::prefix_of(&token) {
        let prefix = prefix.to_owned();
        return state
            .db
            .read(move |conn| {
                let Some((key, user)) = db_keys::by_prefix(conn, &prefix)? else {
                    return Ok(None);
                };
                let active = keys::matches(&token, &key.key_hash)
                    && key.expires.is_none_or(|expires| expires > time::now())
                    && user.active
                    && !user.is_system;
                Ok(active.then(|| Active {
                    kind: CredentialKind::ApiKey,
                    username: if user.is_apiuser {
                        user.name.clone()
                    } else {
                        user.email.clone()
                    },
                    sub: user.id,
                    org: user.organization_id,
                    jti: key.id,
                    iat: key.created.and_utc().timestamp(),
                    exp: key.expires.map(|t| t.and_utc().timestamp()),
                    iss: None,
                    aud: None,
                }))
            })
            .await;
    }
    let Some(claims) = signing_keys::verify(state, &token).await else {
        return Ok(None);
    };
    state
        .db
        .read(move |conn| {
            let user = match token_user(conn, &claims) {
                Ok(user) => user,
                Err(Error::InvalidToken) => return Ok(None),
                Err(other) => return Err(other),
            };
            Ok(Some(Active {
                kind: CredentialKind::AccessToken,
                sub: user.id,
                org: user.organization_id,
                username: user.email,
                jti: claims.jti,
                iat: claims.iat,
                exp: Some(claims.exp),
                iss: claims.iss,
                aud: claims.aud,
            }))
        })
        .await
}
