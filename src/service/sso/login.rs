//! Signing in through a connection, whatever its protocol: home-realm
//! discovery, the redirect to the provider, its answer, and the one-time
//! code the frontend exchanges for a token. What is particular to a
//! protocol (building its request, validating its answer into an
//! `Identity`) lives in `oidc` and `saml`; everything after validation is
//! shared here.
//!
//! A sign-in under way is a row keyed by a hash of its `state` (OIDC's
//! `state`, SAML's `RelayState`), so any replica can finish it, bound to the
//! browser that started it by a short-lived HttpOnly cookie whose hash the
//! row keeps, and used once: the answer deletes it before anything else.
//! The value the answer must echo (the OIDC nonce, the SAML request's ID)
//! and the PKCE verifier are sealed in the row.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::{Connection, GroupMapping, oidc, saml};
use crate::auth::Caller;
use crate::auth::keys::hash;
use crate::db::DbConnection;
use crate::db::models::UserRow;
use crate::db::secrets::sso_login;
use crate::db::sso::{self as rows, LoginRow};
use crate::db::users as user_rows;
use crate::domain::audit::AuditAction;
use crate::domain::id::random_secret;
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::sso::{EmailDomain, Protocol};
use crate::domain::time;
use crate::domain::user::{Email, Source, UserName};
use crate::error::{Error, FieldErrors, Result};
use crate::service::audit::{self, Interface, RequestContext};
use crate::service::users::{self, AssignmentInput, NewUser, UserPatch};
use crate::service::{Parsed, users as users_service};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};

/// The path of the OpenID Connect redirect URI (under the public URL).
pub const CALLBACK_PATH: &str = "/sso/oidc/callback/";
/// The cookie binding a sign-in to its browser.
pub const COOKIE: &str = "tessera_sso";
/// How long a sign-in may take at the provider.
pub const LOGIN_TTL: TimeDelta = TimeDelta::minutes(10);

/// How long a start refused for too many sign-ins under way (more than
/// `TESSERA_SSO_PENDING_MAX` for the connection) is told to wait. Starting
/// a sign-in is anonymous and writes a row kept `LOGIN_TTL`: the cap bounds
/// what a flood of starts can store (a few MB) without a per-address limit,
/// which would lock out an office behind one address.
const PENDING_RETRY: std::time::Duration = std::time::Duration::from_secs(60);
/// How long the frontend has to exchange its code.
pub const CODE_TTL: TimeDelta = TimeDelta::seconds(120);
/// How far in the future an ID token's `iat` may be (clock skew).
pub const IAT_SKEW: TimeDelta = TimeDelta::minutes(5);

pub const CODE_INVALID: &str = "The code is invalid, expired or already used.";

/// Why a sign-in failed, as the frontend gets it in `error=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The provider refused (denied consent, ...).
    ProviderError,
    /// The cookie is missing or is another browser's, or the sign-in
    /// expired, or (SAML) the answer is unsolicited and the connection does
    /// not take those.
    InvalidState,
    /// The code exchange or the ID token's validation failed, or (SAML) the
    /// response or its assertion is not valid (signature, audience,
    /// recipient, destination, times, request, replay).
    InvalidToken,
    /// The token has no usable email, or it is not verified, or not in the
    /// connection's domains.
    EmailNotVerified,
    /// No account, and the connection does not create them.
    UnknownUser,
    UserInactive,
    /// The email's account is linked to another subject.
    AccountConflict,
    /// The connection is inactive or its settings cannot be used.
    ConnectionUnavailable,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::ProviderError => "provider_error",
            Failure::InvalidState => "invalid_state",
            Failure::InvalidToken => "invalid_token",
            Failure::EmailNotVerified => "email_not_verified",
            Failure::UnknownUser => "unknown_user",
            Failure::UserInactive => "user_inactive",
            Failure::AccountConflict => "account_conflict",
            Failure::ConnectionUnavailable => "connection_unavailable",
        }
    }
}

/// Where a started sign-in goes.
pub enum Started {
    /// To the provider, with the cookie value to set, for the path the
    /// provider's answer arrives at.
    Provider {
        location: String,
        browser: String,
        protocol: Protocol,
    },
    /// Back to the frontend with `error=` (the provider cannot be reached).
    Frontend(String),
}

/// The path a protocol's answer arrives at (where the binding cookie goes).
pub fn answer_path(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Oidc => CALLBACK_PATH,
        Protocol::Saml => saml::ACS_PATH,
    }
}

/// A protocol's request to its provider, for `start` to remember.
pub(super) struct Request {
    /// Where the browser goes.
    pub location: String,
    /// The random value the answer carries back (OIDC `state`, SAML
    /// `RelayState`).
    pub state: String,
    /// What the answer must echo (OIDC nonce, SAML request ID).
    pub nonce: String,
    pub pkce_verifier: Option<String>,
}

/// The connection answering for an email's domain (home-realm discovery).
pub fn connection_for_email(conn: &mut DbConnection, email: &str) -> Result<Connection> {
    let email = Email::parse(email).map_err(|m| Error::field("email", m))?;
    let domain = EmailDomain::of_email(email.as_str()).ok_or(Error::NotFound)?;
    let row = rows::by_domain(conn, domain.as_str())?.ok_or(Error::NotFound)?;
    active(conn, row)
}

/// Whether single sign-on is offered at all (an active connection exists).
pub fn offered(conn: &mut DbConnection) -> Result<bool> {
    Ok(rows::any_active(conn)?)
}

/// An active connection by id, whatever its organization (the sign-in
/// page is public).
pub fn connection_by_id(conn: &mut DbConnection, id: &str) -> Result<Connection> {
    let id = crate::domain::PublicId::parse(id).ok_or(Error::NotFound)?;
    let row = rows::find(conn, id.as_str())?.ok_or(Error::NotFound)?;
    active(conn, row)
}

fn active(conn: &mut DbConnection, row: crate::db::sso::ConnectionRow) -> Result<Connection> {
    if !row.active {
        return Err(Error::NotFound);
    }
    super::with_domains(conn, row)
}

/// Starts a sign-in: the protocol's request to the provider and the
/// browser binding.
pub async fn start(
    state: &AppState,
    connection: Connection,
    context: RequestContext,
) -> Result<Started> {
    let protocol = connection.protocol()?;
    let request = match protocol {
        Protocol::Oidc => oidc::request(state, &connection).await,
        Protocol::Saml => saml::request(state, &connection),
    };
    let request = match request {
        Ok(request) => request,
        Err(failure) => {
            let detail = "the provider cannot be reached at the start of a sign-in";
            record_failure(state, &connection, context, failure, detail.into()).await?;
            return Ok(match frontend(&connection, ("error", failure.as_str())) {
                Landing::Frontend(location) => Started::Frontend(location),
                Landing::UnknownState => {
                    return Err(Error::Unavailable(
                        "The identity provider cannot be reached.".into(),
                    ));
                }
            });
        }
    };
    let browser = random_secret(32);
    let state_hash = hash(&request.state);
    let row = LoginRow {
        connection_id: connection.row.id.clone(),
        browser_hash: hash(&browser),
        nonce: state
            .secrets
            .seal(&request.nonce, sso_login("sso_logins.nonce", &state_hash)),
        pkce_verifier: request.pkce_verifier.as_deref().map(|verifier| {
            state
                .secrets
                .seal(verifier, sso_login("sso_logins.pkce_verifier", &state_hash))
        }),
        expires: time::now() + LOGIN_TTL,
        state_hash,
    };
    let pending_max = i64::from(state.sso_pending_max);
    state
        .db
        .write(move |conn| {
            rows::prune_logins(conn, time::now())?;
            if rows::pending_logins(conn, &row.connection_id)? >= pending_max {
                tracing::warn!(
                    connection = %row.connection_id,
                    "too many sign-ins under way; refusing new ones for now"
                );
                return Err(Error::Throttled {
                    wait_seconds: PENDING_RETRY.as_secs(),
                });
            }
            rows::insert_login(conn, &row)?;
            Ok(())
        })
        .await?;
    Ok(Started::Provider {
        location: request.location,
        browser,
        protocol,
    })
}

/// The short-lived HttpOnly cookie binding a sign-in to the browser that
/// started it, sent only to the protocol's answer path. SAML's answer is a
/// cross-site POST from the IdP, which a Lax cookie does not follow: None
/// there (it needs Secure, so https; over plain http, in development, the
/// IdP must be same-site, as on localhost).
pub fn binding_cookie(state: &AppState, protocol: Protocol, browser: String) -> Cookie<'static> {
    let https = state.public_url.starts_with("https://");
    let same_site = match protocol {
        Protocol::Saml if https => SameSite::None,
        _ => SameSite::Lax,
    };
    Cookie::build(COOKIE, browser)
        .path(answer_path(protocol).trim_end_matches('/'))
        .http_only(true)
        .secure(https)
        .same_site(same_site)
        .max_age(actix_web::cookie::time::Duration::seconds(
            LOGIN_TTL.num_seconds(),
        ))
        .finish()
}

/// What the provider sent back, by protocol.
pub enum Answer {
    /// To the OIDC callback.
    Oidc(oidc::Answer),
    /// To the SAML ACS: the base64 `SAMLResponse`.
    Saml(String),
}

impl Answer {
    fn protocol(&self) -> Protocol {
        match self {
            Answer::Oidc(_) => Protocol::Oidc,
            Answer::Saml(_) => Protocol::Saml,
        }
    }
}

/// The provider's answer with what came along with it.
pub struct Callback {
    /// OIDC `state` or SAML `RelayState`.
    pub state: Option<String>,
    pub answer: Answer,
    /// The binding cookie's value.
    pub browser: Option<String>,
    pub context: RequestContext,
}

/// Where the callback sends the browser.
pub enum Landing {
    /// The frontend, with `code=` or `error=`.
    Frontend(String),
    /// No sign-in matches the state: nowhere known to send it.
    UnknownState,
}

fn frontend(connection: &Connection, param: (&str, &str)) -> Landing {
    let mut url = match url::Url::parse(&connection.row.redirect_uri) {
        Ok(url) => url,
        Err(_) => return Landing::UnknownState,
    };
    url.query_pairs_mut().append_pair(param.0, param.1);
    Landing::Frontend(url.to_string())
}

/// Finishes a sign-in: checks the state and its browser, has the protocol
/// validate the answer into an identity, finds or creates the user,
/// applies the group mapping and lands on the frontend with a one-time
/// code. Every failure lands there too, with `error=`, and is audited.
///
/// A SAML response whose `RelayState` names no sign-in under way is
/// unsolicited (IdP-initiated): it is taken only by a connection that
/// allows that, and then without a request to answer.
pub async fn finish(state: &AppState, callback: Callback) -> Result<Landing> {
    let taken = match callback.state.clone() {
        None => None,
        Some(raw_state) => {
            let state_hash = hash(&raw_state);
            state
                .db
                .write(move |conn| {
                    let Some(login) = rows::take_login(conn, &state_hash)? else {
                        return Ok(None);
                    };
                    let Some(row) = rows::find(conn, &login.connection_id)? else {
                        return Ok(None);
                    };
                    let connection = super::with_domains(conn, row)?;
                    Ok(Some((login, connection)))
                })
                .await?
        }
    };
    let (connection, identity, browser_hash) = match (taken, &callback.answer) {
        (Some((login, connection)), _) => {
            let identity = solicited(state, &callback, &login, &connection).await;
            (connection, identity, Some(login.browser_hash))
        }
        (None, Answer::Saml(response)) => {
            let Some(connection) = saml::unsolicited_connection(state, response).await? else {
                tracing::info!("SAML response for no known connection");
                return Ok(Landing::UnknownState);
            };
            let identity = saml::identity(state, &connection, None, response).await;
            (connection, identity, None)
        }
        (None, Answer::Oidc(_)) => {
            tracing::info!("SSO callback with an unknown or used state");
            return Ok(Landing::UnknownState);
        }
    };
    complete(state, &connection, callback.context, identity, browser_hash).await
}

/// Validates an answer to a sign-in Tessera started.
async fn solicited(
    state: &AppState,
    callback: &Callback,
    login: &LoginRow,
    connection: &Connection,
) -> std::result::Result<Identity, Refusal> {
    let bound = callback.browser.as_deref().is_some_and(|browser| {
        bool::from(
            hash(browser)
                .as_bytes()
                .ct_eq(login.browser_hash.as_bytes()),
        )
    });
    if !bound {
        return Err(refuse(
            Failure::InvalidState,
            "the sign-in's cookie is missing or another browser's",
        ));
    }
    if login.expires < time::now() {
        return Err(refuse(Failure::InvalidState, "the sign-in expired"));
    }
    if connection.protocol().ok() != Some(callback.answer.protocol()) {
        return Err(refuse(
            Failure::InvalidState,
            "the answer came in another protocol than the sign-in's",
        ));
    }
    if !connection.row.active {
        return Err(refuse(
            Failure::ConnectionUnavailable,
            "the connection is inactive",
        ));
    }
    let open = |column: &'static str, sealed: &str| {
        state
            .secrets
            .open(sealed, sso_login(column, &login.state_hash))
            .map(|s| s.to_string())
            .map_err(|_| refuse(Failure::InvalidState, "the sign-in's secrets do not open"))
    };
    let nonce = open("sso_logins.nonce", &login.nonce)?;
    match &callback.answer {
        Answer::Oidc(answer) => {
            let verifier = login
                .pkce_verifier
                .as_deref()
                .map(|sealed| open("sso_logins.pkce_verifier", sealed))
                .transpose()?;
            oidc::identity(state, connection, answer, nonce, verifier).await
        }
        Answer::Saml(response) => saml::identity(state, connection, Some(nonce), response).await,
    }
}

/// Lands a validated identity (or a refusal) on the frontend.
async fn complete(
    state: &AppState,
    connection: &Connection,
    context: RequestContext,
    identity: std::result::Result<Identity, Refusal>,
    browser_hash: Option<String>,
) -> Result<Landing> {
    let landed = match identity {
        Ok(identity) => {
            land_in_transaction(state, connection, identity, context.clone(), browser_hash).await
        }
        Err(refusal) => Err(refusal),
    };
    match landed {
        Ok(code) => Ok(frontend(connection, ("code", &code))),
        Err((failure, detail)) => {
            record_failure(state, connection, context, failure, detail).await?;
            Ok(frontend(connection, ("error", failure.as_str())))
        }
    }
}

/// Logs and audits a refused sign-in in the connection's organization.
async fn record_failure(
    state: &AppState,
    connection: &Connection,
    context: RequestContext,
    failure: Failure,
    detail: String,
) -> Result<()> {
    let org = connection.row.organization_id.clone();
    let connection_id = connection.row.id.clone();
    tracing::info!(connection = %connection_id, error = failure.as_str(), %detail, "SSO sign-in refused");
    state
        .db
        .write(move |conn| {
            let mut changes = audit::Changes::new();
            changes.insert("error".into(), failure.as_str().into());
            changes.insert("detail".into(), detail.into());
            audit::record(
                conn,
                &org,
                None,
                &context,
                AuditAction::AuthSsoLoginFailed,
                audit::object("sso_connection", &connection_id),
                changes,
            )
        })
        .await
}

pub(super) type Refusal = (Failure, String);

pub(super) fn refuse(failure: Failure, detail: impl Into<String>) -> Refusal {
    (failure, detail.into())
}

/// What a validated answer says about the person.
pub(super) struct Identity {
    /// OIDC `sub`, SAML NameID: the account's external id.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub groups: Vec<String>,
    pub amr: Option<Value>,
    pub acr: Option<Value>,
}

async fn land_in_transaction(
    state: &AppState,
    connection: &Connection,
    identity: Identity,
    context: RequestContext,
    browser_hash: Option<String>,
) -> std::result::Result<String, Refusal> {
    let connection = connection.clone();
    state
        .db
        .write(move |conn| {
            // In a savepoint: a refusal found halfway (an account linked,
            // then found deactivated) undoes what came before it.
            let mut refusal = None;
            let landed = diesel::Connection::transaction::<String, Error, _>(conn, |conn| {
                land(
                    conn,
                    &connection,
                    &identity,
                    context,
                    browser_hash.as_deref(),
                )
                .map_err(|refused| {
                    let detail = refused.1.clone();
                    refusal = Some(refused);
                    Error::BadRequest(detail)
                })
            });
            Ok(landed.map_err(|e| {
                refusal.unwrap_or_else(|| refuse(Failure::ConnectionUnavailable, e.to_string()))
            }))
        })
        .await
        .map_err(|e| refuse(Failure::ConnectionUnavailable, e.to_string()))?
}

/// In one transaction: the user (found, linked or created), its mapped
/// roles, the login, its audit event and the one-time code (bound to the
/// browser that started the sign-in, when one did).
fn land(
    conn: &mut DbConnection,
    connection: &Connection,
    identity: &Identity,
    context: RequestContext,
    browser_hash: Option<&str>,
) -> std::result::Result<String, Refusal> {
    let fail = |e: Error| refuse(Failure::ConnectionUnavailable, e.to_string());
    let org = connection.row.organization_id.clone();
    let system = {
        let mut system = Caller::system(conn, &org, Interface::Sso).map_err(fail)?;
        system.context = RequestContext {
            interface: Interface::Sso,
            ..context.clone()
        };
        system
    };
    let by_subject =
        rows::person_by_external_id(conn, &org, &identity.subject).map_err(|e| fail(e.into()))?;
    let in_domains = |email: &str| {
        EmailDomain::of_email(email)
            .is_some_and(|d| connection.domains.iter().any(|c| c == d.as_str()))
    };
    let user = match by_subject {
        // A connection signs in only people of its own domains: a subject
        // another provider (another connection) gave the same value to
        // never reaches them.
        Some(user) if !in_domains(&user.email) => {
            return Err(refuse(
                Failure::AccountConflict,
                "the subject's account is outside the connection's domains",
            ));
        }
        Some(user) => user,
        None => {
            let email = identity
                .email
                .as_deref()
                .and_then(|e| Email::parse(e).ok())
                .ok_or_else(|| refuse(Failure::EmailNotVerified, "no email claim"))?;
            if !identity.email_verified {
                return Err(refuse(
                    Failure::EmailNotVerified,
                    "the provider has not verified the email",
                ));
            }
            if !in_domains(email.as_str()) {
                return Err(refuse(
                    Failure::EmailNotVerified,
                    "the email is not in the connection's domains",
                ));
            }
            let existing = user_rows::find_people_by_email(conn, email.as_str())
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .find(|u| u.organization_id == org);
            match existing {
                Some(user)
                    if user
                        .external_id
                        .as_deref()
                        .is_some_and(|x| x != identity.subject) =>
                {
                    return Err(refuse(
                        Failure::AccountConflict,
                        "the account is linked to another subject",
                    ));
                }
                Some(user) => {
                    // Link: the provider's subject becomes the account's external id.
                    let mut patch = UserPatch {
                        external_id: Some(Some(identity.subject.clone())),
                        ..UserPatch::default()
                    };
                    patch.name(users::UserField::ExternalId);
                    users_service::update(
                        conn,
                        &system,
                        &user.id,
                        false,
                        Parsed::new(patch, FieldErrors::new()),
                    )
                    .map_err(fail)?;
                    user
                }
                None if connection.row.jit => create(conn, &system, connection, identity, email)?,
                None => return Err(refuse(Failure::UnknownUser, "no account and JIT is off")),
            }
        }
    };
    let user = user_rows::find(conn, &user.id)
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| refuse(Failure::UnknownUser, "the account vanished"))?;
    if !user.active {
        return Err(refuse(Failure::UserInactive, "the account is deactivated"));
    }
    apply_mapping(conn, &system, connection, &user, &identity.groups)?;
    user_rows::record_login(conn, &user.id, time::now()).map_err(|e| fail(e.into()))?;
    let mut changes = audit::Changes::new();
    changes.insert("connection".into(), connection.row.id.clone().into());
    changes.insert("protocol".into(), connection.row.protocol.clone().into());
    changes.insert("subject".into(), identity.subject.clone().into());
    if let Some(amr) = &identity.amr {
        changes.insert("amr".into(), amr.clone());
    }
    if let Some(acr) = &identity.acr {
        changes.insert("acr".into(), acr.clone());
    }
    audit::record(
        conn,
        &org,
        Some(&user),
        &system.context,
        AuditAction::AuthSsoLogin,
        audit::object("user", &user.id),
        changes,
    )
    .map_err(fail)?;
    let code = random_secret(43);
    rows::insert_code(
        conn,
        &hash(&code),
        &user.id,
        browser_hash,
        time::now() + CODE_TTL,
    )
    .map_err(|e| fail(e.into()))?;
    Ok(code)
}

/// The membership role the groups give (the first rule without a team that
/// matches), else `fallback`.
fn membership(mapping: &[GroupMapping], groups: &[String], fallback: &str) -> String {
    mapping
        .iter()
        .find(|m| m.team.is_none() && groups.contains(&m.group))
        .map(|m| m.role.clone())
        .unwrap_or_else(|| fallback.to_owned())
}

fn create(
    conn: &mut DbConnection,
    system: &Caller,
    connection: &Connection,
    identity: &Identity,
    email: Email,
) -> std::result::Result<UserRow, Refusal> {
    let fail = |e: Error| refuse(Failure::ConnectionUnavailable, e.to_string());
    let mapping = connection.group_mapping();
    let role = membership(&mapping, &identity.groups, &connection.row.default_role);
    let name = identity
        .name
        .as_deref()
        .and_then(|n| UserName::parse(n).ok())
        .or_else(|| UserName::parse(email.as_str().split('@').next().unwrap_or("user")).ok())
        .ok_or_else(|| refuse(Failure::EmailNotVerified, "no usable name"))?;
    let mut fields = UserPatch {
        email: Some(email),
        name: Some(name),
        user_roles: Some(vec![AssignmentInput {
            role: Some(role),
            tier: Some("account".into()),
            ..AssignmentInput::default()
        }]),
        external_id: Some(Some(identity.subject.clone())),
        ..UserPatch::default()
    };
    fields.name(users::UserField::Email);
    let created = users_service::create(
        conn,
        system,
        false,
        Parsed::new(
            NewUser {
                source: match connection.protocol() {
                    Ok(Protocol::Saml) => Source::Saml,
                    _ => Source::Oidc,
                },
                fields,
            },
            FieldErrors::new(),
        ),
    )
    .map_err(fail)?;
    user_rows::find(conn, &created.user.id)
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| refuse(Failure::UnknownUser, "the account vanished"))
}

/// Applies the group mapping: the membership role a rule without a team
/// gives, and each mapped team role added or removed as the groups say.
/// Roles no rule names are left alone.
fn apply_mapping(
    conn: &mut DbConnection,
    system: &Caller,
    connection: &Connection,
    user: &UserRow,
    groups: &[String],
) -> std::result::Result<(), Refusal> {
    let fail = |e: Error| refuse(Failure::ConnectionUnavailable, e.to_string());
    let mapping = connection.group_mapping();
    if mapping.is_empty() {
        return Ok(());
    }
    let current = users_service::assignments_of(conn, &user.id).map_err(fail)?;
    let managed: BTreeSet<(String, Option<String>)> = mapping
        .iter()
        .filter(|m| m.team.is_some())
        .map(|m| (m.role.clone(), m.team.clone()))
        .collect();
    let wanted: BTreeSet<(String, Option<String>)> = mapping
        .iter()
        .filter(|m| m.team.is_some() && groups.contains(&m.group))
        .map(|m| (m.role.clone(), m.team.clone()))
        .collect();
    let current_membership = current
        .iter()
        .find(|a| a.tier == Tier::Account && a.role.builtin.is_some_and(|b| b.is_membership()))
        .map(|a| a.role.id.clone());
    let mapped_membership = mapping
        .iter()
        .find(|m| m.team.is_none() && groups.contains(&m.group))
        .map(|m| m.role.clone());
    let mut next: Vec<AssignmentInput> = Vec::new();
    let mut kept: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    for a in &current {
        let key = (a.role.id.clone(), a.team.clone());
        let is_membership =
            a.tier == Tier::Account && Some(&a.role.id) == current_membership.as_ref();
        if is_membership {
            continue;
        }
        if a.tier == Tier::Team && managed.contains(&key) && !wanted.contains(&key) {
            continue;
        }
        kept.insert(key);
        next.push(AssignmentInput::of(a));
    }
    // An OWNER's membership is never changed by a mapping: the connection's
    // author could not have granted or taken OWNER.
    let owner = BuiltinRole::Owner.id();
    let membership = match current_membership {
        Some(current) if current == owner => current,
        current => mapped_membership
            .or(current)
            .unwrap_or_else(|| connection.row.default_role.clone()),
    };
    next.insert(
        0,
        AssignmentInput {
            role: Some(membership),
            tier: Some("account".into()),
            ..AssignmentInput::default()
        },
    );
    for (role, team) in &wanted {
        if !kept.contains(&(role.clone(), team.clone())) {
            next.push(AssignmentInput {
                role: Some(role.clone()),
                tier: Some("team".into()),
                team: team.clone(),
                ..AssignmentInput::default()
            });
        }
    }
    let key = |a: &AssignmentInput| {
        (
            a.role.clone(),
            a.tier.clone(),
            a.team.clone(),
            a.target.clone(),
        )
    };
    let before: BTreeSet<_> = current
        .iter()
        .map(|a| {
            (
                Some(a.role.id.clone()),
                Some(a.tier.as_str().to_owned()),
                a.team.clone(),
                a.target.clone(),
            )
        })
        .collect();
    let after: BTreeSet<_> = next.iter().map(key).collect();
    if before == after {
        return Ok(());
    }
    let mut patch = UserPatch {
        user_roles: Some(next),
        ..UserPatch::default()
    };
    patch.name(users::UserField::UserRoles);
    users_service::update(
        conn,
        system,
        &user.id,
        false,
        Parsed::new(patch, FieldErrors::new()),
    )
    .map_err(fail)?;
    Ok(())
}

/// Exchanges a one-time code for its user (once, before it expires).
/// Who may exchange a one-time code.
#[derive(Clone, Copy, Debug)]
pub enum Holder<'a> {
    /// Whoever holds the code (`POST /auth/sso/exchange/`: the frontend
    /// runs on its own origin and cannot show the binding cookie).
    Anyone,
    /// Only the browser that started the sign-in, by the binding it was
    /// given then (the console, on Tessera's own origin): a code carried
    /// to another browser signs no one in there (login CSRF).
    Browser(&'a str),
}

/// The user a one-time code stands for (taken: it works once).
pub fn exchange(conn: &mut DbConnection, code: &str, holder: Holder) -> Result<UserRow> {
    let invalid = || Error::field("code", CODE_INVALID);
    let taken = rows::take_code(conn, &hash(code))?.ok_or_else(invalid)?;
    if taken.expires < time::now() {
        return Err(invalid());
    }
    if let Holder::Browser(browser) = holder {
        let bound = taken.browser_hash.as_deref().is_some_and(|expected| {
            bool::from(hash(browser).as_bytes().ct_eq(expected.as_bytes()))
        });
        if !bound {
            return Err(Error::field("code", CODE_ELSEWHERE));
        }
    }
    let user_id = taken.user_id;
    let user = user_rows::find(conn, &user_id)?.ok_or_else(invalid)?;
    if !user.active {
        return Err(invalid());
    }
    Ok(user)
}

pub const CODE_ELSEWHERE: &str = "This sign-in was started in another browser (or by the identity provider): start it again from this browser's sign-in page.";

pub const SSO_REQUIRED: &str = "Single sign-on is required for this email's domain: sign in at /sso/login/?email=<your email>.";

/// Whether a person may sign in with a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordSignIn {
    Allowed,
    /// A required connection covers the email, but the person is an OWNER:
    /// OWNERs keep password sign-in so an organization whose provider is
    /// down or misconfigured is never locked out (audited as
    /// `auth.break_glass`).
    BreakGlass,
    Refused,
}

/// Enforcement: an active connection of the person's organization with
/// `enforcement: required` answering for the email's domain refuses
/// password sign-in, OWNERs excepted.
pub fn password_sign_in(conn: &mut DbConnection, user: &UserRow) -> Result<PasswordSignIn> {
    let Some(domain) = EmailDomain::of_email(&user.email) else {
        return Ok(PasswordSignIn::Allowed);
    };
    let Some(row) = rows::by_domain(conn, domain.as_str())? else {
        return Ok(PasswordSignIn::Allowed);
    };
    let required = row.organization_id == user.organization_id
        && row.active
        && crate::domain::sso::Enforcement::parse(&row.enforcement)
            .is_ok_and(|e| e == crate::domain::sso::Enforcement::Required);
    if !required {
        return Ok(PasswordSignIn::Allowed);
    }
    let owner = user_rows::roles_of(conn, std::slice::from_ref(&user.id))?
        .iter()
        .any(|r| {
            r.tier == Tier::Account && r.role_id == crate::domain::role::BuiltinRole::Owner.id()
        });
    Ok(if owner {
        PasswordSignIn::BreakGlass
    } else {
        PasswordSignIn::Refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(group: &str, role: &str, team: Option<&str>) -> GroupMapping {
        GroupMapping {
            group: group.into(),
            role: role.into(),
            team: team.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_matching_rule_without_a_team_gives_the_membership() {
        let mapping = [
            rule("eng", "TEAMROLE0001", Some("TEAM00000001")),
            rule("admins", "RoLeadmin2Xy", None),
            rule("everyone", "RoLeviewerXy", None),
        ];
        let groups = |g: &[&str]| g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            membership(&mapping, &groups(&["everyone", "admins"]), "RoLemp1oyeeX"),
            "RoLeadmin2Xy"
        );
        assert_eq!(
            membership(&mapping, &groups(&["eng"]), "RoLemp1oyeeX"),
            "RoLemp1oyeeX"
        );
    }

    #[test]
    fn failures_have_distinct_names() {
        let all = [
            Failure::ProviderError,
            Failure::InvalidState,
            Failure::InvalidToken,
            Failure::EmailNotVerified,
            Failure::UnknownUser,
            Failure::UserInactive,
            Failure::AccountConflict,
            Failure::ConnectionUnavailable,
        ];
        let names: BTreeSet<&str> = all.iter().map(|f| f.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }
}
