//! The authenticated caller, extracted from `Authorization: JWT <token>` or
//! `Bearer <token>` on every protected request, and the one permission check.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::grants::{Grants, Scope};
use crate::auth::keys;
use crate::auth::token::Claims;
use crate::db::models::{ChangedBy, UserRow};
use crate::db::users::GrantRow;
use crate::db::{DbConnection, keys as db_keys, users};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::{time, user_roles};
use crate::error::{Error, Result};
use crate::service::audit::{self, Changes, Interface, Object, RequestContext};
use crate::state::AppState;

/// Who is making the request, with what it may do where.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: UserRow,
    pub grants: Grants,
    /// Where the request came from, for the audit trail.
    pub context: RequestContext,
}

impl Caller {
    /// The organization's `System` actor, holding every permission: the
    /// caller of work no person asked for (the scheduler, the CLI), which
    /// goes through the service layer like any other.
    pub fn system(
        conn: &mut DbConnection,
        organization_id: &str,
        interface: Interface,
    ) -> Result<Self> {
        Ok(Self {
            user: users::system_actor(conn, organization_id)?,
            grants: Grants::everything(),
            context: RequestContext {
                interface,
                ..RequestContext::default()
            },
        })
    }

    /// Appends an audit event of this caller's, in the current transaction.
    pub fn audit(
        &self,
        conn: &mut DbConnection,
        action: AuditAction,
        object: Object,
        changes: Changes,
    ) -> Result<()> {
        audit::record(
            conn,
            self.organization_id(),
            Some(&self.user),
            &self.context,
            action,
            object,
            changes,
        )
    }

    pub fn organization_id(&self) -> &str {
        &self.user.organization_id
    }

    /// How writes by this caller are recorded in `changed_by`.
    pub fn actor(&self) -> ChangedBy {
        self.user.changed_by_self()
    }

    /// Whether the caller holds `permission` at account tier.
    pub fn has(&self, permission: Permission) -> bool {
        self.grants.at_account(permission)
    }

    /// Whether the caller holds `permission` at `scope`.
    pub fn can(&self, permission: Permission, scope: Scope) -> bool {
        self.grants.can(permission, scope)
    }

    /// The permission check for organization-wide actions: 403 unless the
    /// caller holds `permission` at account tier.
    pub fn require(&self, permission: Permission) -> Result<()> {
        self.require_at(permission, Scope::Organization)
    }

    /// The permission check: 403 unless the caller holds `permission` at `scope`.
    pub fn require_at(&self, permission: Permission, scope: Scope) -> Result<()> {
        if self.can(permission, scope) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl UserRow {
    /// This user as the author of a change.
    pub fn changed_by_self(&self) -> ChangedBy {
        ChangedBy {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
        }
    }
}

/// The credential in an `Authorization` header, if it uses a scheme we know.
fn credential(req: &HttpRequest) -> Result<String> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(Error::NotAuthenticated);
    };
    let value = value.to_str().map_err(|_| Error::InvalidToken)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(Error::InvalidToken)?;
    if !(scheme.eq_ignore_ascii_case("jwt") || scheme.eq_ignore_ascii_case("bearer")) {
        return Err(Error::NotAuthenticated);
    }
    let token = token.trim();
    if token.is_empty() || token.len() > 4096 {
        return Err(Error::InvalidToken);
    }
    Ok(token.to_owned())
}

/// Keys' `last_used` is written at most this often (seconds), so key
/// authentication does not turn every read into a write.
const LAST_USED_GRANULARITY: i64 = 60;

async fn authenticate(req: HttpRequest) -> Result<Caller> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| Error::internal(anyhow::anyhow!("application state missing")))?
        .clone();
    let credential = credential(&req)?;
    if let Some(prefix) = keys::prefix_of(&credential) {
        return authenticate_key(&state, prefix.to_owned(), credential).await;
    }
    token_caller(&state, credential).await
}

/// The caller a session token stands for (the checks of an
/// `Authorization` token: signature, expiry, user, revocation), without
/// its request context. The console keeps this token in its cookie.
pub async fn token_caller(state: &AppState, token: String) -> Result<Caller> {
    token_caller_with_claims(state, token)
        .await
        .map(|(caller, _)| caller)
}

/// `token_caller`, with the token's verified claims (for the console's
/// sliding session, which renews a token past half its life).
pub async fn token_caller_with_claims(state: &AppState, token: String) -> Result<(Caller, Claims)> {
    let claims = crate::service::signing_keys::verify(state, &token)
        .await
        .ok_or(Error::InvalidToken)?;
    state
        .db
        .lookup(move |conn| Ok((token_holder_caller(conn, &claims)?, claims)))
        .await
}

/// The caller a verified token's claims stand for, in one statement: 401
/// unless the token still stands (see `token_stands`) and neither it nor
/// its refresh family was revoked.
fn token_holder_caller(conn: &mut DbConnection, claims: &Claims) -> Result<Caller> {
    let (user, grants) = users::token_holder(conn, &claims.sub, &claims.jti, claims.family())?
        .filter(|(user, _)| token_stands(user, claims))
        .ok_or(Error::InvalidToken)?;
    Ok(caller_with(user, grants))
}

/// Whether a verified token still stands for `user` (found, and neither
/// the token nor its refresh family revoked): the user is in the token's organization, active, a person,
/// and has not changed its password or been deactivated since.
fn token_stands(user: &UserRow, claims: &Claims) -> bool {
    user.organization_id == claims.org
        && user.active
        && !user.is_system
        && !user.is_apiuser
        && user.token_version == claims.ver
}

/// The user a verified token stands for, if the token still stands (see
/// `token_stands`) and neither it nor its refresh family was revoked.
pub fn token_user(conn: &mut DbConnection, claims: &Claims) -> Result<UserRow> {
    let user = users::find(conn, &claims.sub)?.ok_or(Error::InvalidToken)?;
    if token_stands(&user, claims) && !db_keys::is_revoked(conn, &claims.jti, claims.family())? {
        Ok(user)
    } else {
        Err(Error::InvalidToken)
    }
}

async fn authenticate_key(state: &AppState, prefix: String, credential: String) -> Result<Caller> {
    let (caller, key_id, stale) = state
        .db
        .lookup(move |conn| {
            let (key, user) = db_keys::by_prefix(conn, &prefix)?.ok_or(Error::InvalidToken)?;
            let now = time::now();
            let valid = keys::matches(&credential, &key.key_hash)
                && key.expires.is_none_or(|expires| expires > now)
                && user.active
                && !user.is_system;
            if !valid {
                return Err(Error::InvalidToken);
            }
            let stale = key
                .last_used
                .is_none_or(|t| (now - t).num_seconds() >= LAST_USED_GRANULARITY);
            Ok((caller_of(conn, user)?, key.id, stale))
        })
        .await?;
    if stale {
        state
            .db
            .write(move |conn| Ok(db_keys::touch(conn, &key_id, time::now())?))
            .await?;
    }
    Ok(caller)
}

/// The caller with the permissions of all its role assignments (one query).
fn caller_of(conn: &mut DbConnection, user: UserRow) -> Result<Caller> {
    let grants = users::roles_of(conn, std::slice::from_ref(&user.id))?
        .into_iter()
        .map(|role| GrantRow {
            tier: role.tier,
            team_id: role.team_id,
            target_id: role.target_id,
            permissions: role.role_permissions,
            starts: role.starts,
            expires: role.expires,
        });
    Ok(caller_with(user, grants))
}

/// The caller holding those of `grants` in force now: one outside its
/// window gives nothing, from the moment it expires (the scheduler removes
/// it later).
fn caller_with(user: UserRow, grants: impl IntoIterator<Item = GrantRow>) -> Caller {
    let now = time::now();
    let mut caller = Caller {
        user,
        grants: Grants::default(),
        context: RequestContext::default(),
    };
    for grant in grants
        .into_iter()
        .filter(|g| user_roles::in_force(g.starts, g.expires, now))
    {
        caller.grants.add(
            grant.tier,
            grant.team_id.as_deref(),
            grant.target_id.as_deref(),
            grant.permissions.iter(),
        );
    }
    caller
}

impl FromRequest for Caller {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Authenticated once per request: a middleware that needed the
        // caller first (Idempotency-Key) leaves it in the extensions.
        if let Some(caller) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(caller) });
        }
        let req = req.clone();
        Box::pin(async move {
            let mut caller = authenticate(req.clone()).await?;
            if let Some(state) = req.app_data::<web::Data<AppState>>() {
                caller.context = request_context(&req, state);
            }
            Ok(caller)
        })
    }
}

/// A request's credential, checked as far as it can be without the
/// database: a session token's signature and expiry, ahead of the read that
/// finds its holder. A handler whose work is one short read resolves it in
/// that same read (`Db::lookup`), so authenticating costs no pooled
/// connection, hop to the blocking pool or (on PostgreSQL) round trips of
/// its own. An API key, whose use may also be written down, and a caller a
/// middleware already authenticated arrive resolved.
#[expect(
    clippy::large_enum_variant,
    reason = "made once per request and moved into its read, like the `Caller` it becomes"
)]
pub enum Credential {
    Token {
        claims: Claims,
        context: RequestContext,
    },
    Resolved(Caller),
}

impl Credential {
    /// The caller, with the same checks and answers as the `Caller`
    /// extractor (401 for a token that no longer stands).
    pub fn caller(self, conn: &mut DbConnection) -> Result<Caller> {
        match self {
            Credential::Resolved(caller) => Ok(caller),
            Credential::Token { claims, context } => {
                let mut caller = token_holder_caller(conn, &claims)?;
                caller.context = context;
                Ok(caller)
            }
        }
    }
}

impl FromRequest for Credential {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let credential = match credential(req) {
            Ok(credential)
                if keys::prefix_of(&credential).is_none()
                    && !req.extensions().contains::<Caller>() =>
            {
                credential
            }
            // Already authenticated, an API key, a missing or malformed
            // header: the `Caller` extractor answers (with its 401s).
            _ => {
                let caller = Caller::from_request(req, payload);
                return Box::pin(async move { Ok(Credential::Resolved(caller.await?)) });
            }
        };
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| Error::internal(anyhow::anyhow!("application state missing")))?;
            let claims = crate::service::signing_keys::verify(state, &credential)
                .await
                .ok_or(Error::InvalidToken)?;
            Ok(Credential::Token {
                claims,
                context: request_context(&req, state),
            })
        })
    }
}

/// The client's address as throttling counts it (behind trusted proxies,
/// from `X-Forwarded-For`).
pub fn client_address(req: &HttpRequest, state: &crate::state::AppState) -> String {
    let forwarded_for = req
        .headers()
        .get(actix_web::http::header::X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok());
    state
        .login_throttle
        .client_address(req.peer_addr().map(|a| a.ip()), forwarded_for)
}

/// Longest `X-Request-Id` / `User-Agent` kept in the audit trail.
const CONTEXT_VALUE_MAX: usize = 256;

/// The request as the audit trail records it: its id (the one echoed in
/// `X-Request-Id`: the client's when sane, else the generated one), client
/// address and user agent.
pub fn request_context(
    req: &HttpRequest,
    state: &crate::state::AppState,
) -> crate::service::audit::RequestContext {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(CONTEXT_VALUE_MAX).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    crate::service::audit::RequestContext {
        request_id: crate::observability::client_request_id(req.headers())
            .map(str::to_owned)
            .or_else(|| {
                req.extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(|id| id.to_string())
            }),
        client_address: Some(client_address(req, state)),
        user_agent: header("user-agent"),
        interface: crate::service::audit::Interface::Rest,
    }
}
