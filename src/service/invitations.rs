//! Invitations (a first password, chosen through a mailed single-use link)
//! and password resets (the same, for a user who forgot it).
//!
//! Links carry a random token; the database keeps only its SHA-256. Mail is
//! queued after the transaction that created the link committed.

use chrono::{Duration, NaiveDateTime};

use crate::auth::{Caller, Scope, keys};
use crate::db::invitations::{
    self as rows, InvitationDetail, InvitationFilter, InvitationRow, PasswordResetRow,
};
use crate::db::models::{UserChanges, UserRow};
use crate::db::{self, DbConnection, users};
use crate::domain::audit::AuditAction;
use crate::domain::id::random_secret;
use crate::domain::role::Permission;
use crate::domain::user::{Password, State};
use crate::domain::{PublicId, time};
use crate::error::{Error, Result};
use crate::mail::{Mail, MailKind, status};
use crate::service::audit::{self, RequestContext};
use crate::service::sso::login::{self as sso_login, PasswordSignIn};
use crate::service::{Page, PageRequest, Parsed, authority, passwords, throttle};
use crate::state::AppState;
use serde_json::Value;

/// Where mailed links point (a page there posts to the same path).
pub const ACCEPT_PATH: &str = "/invitations/accept/";
pub const RESET_PATH: &str = "/auth/password_reset/confirm/";

pub const NOT_INVITABLE: &str = "Only a PENDING or DEACTIVATED user can be invited.";
pub const LINK_INVALID: &str = "This link is invalid.";
pub const LINK_EXPIRED: &str = "This link has expired.";
pub const LINK_USED: &str = "This link has already been used.";
pub const LINK_SUPERSEDED: &str = "This invitation was replaced by a newer one.";
pub const LINK_REVOKED: &str = "This invitation was revoked.";
pub const NOT_REVOCABLE: &str = "Only a PENDING invitation can be revoked.";

/// Random characters of a link token (Base58: ~250 bits).
const TOKEN_LEN: usize = 43;

/// An invitation just made; `link` is set only in development mode (no
/// SMTP), where it is the only way to hand the link over.
pub struct Invited {
    pub invitation: InvitationDetail,
    pub link: Option<String>,
}

/// Invites a PENDING or DEACTIVATED user (the latter goes back to PENDING:
/// its password and API keys stop working for good). Needs `users.manage`
/// over the user and every permission the user holds (`service::authority`).
/// Supersedes the user's
/// earlier invitations.
pub async fn invite(
    state: &AppState,
    caller: Caller,
    user: Parsed<Option<String>>,
) -> Result<Invited> {
    let token = random_secret(TOKEN_LEN);
    let token_hash = keys::hash(&token);
    let ttl = Duration::seconds(i64::from(state.mail_settings.invitation_ttl));
    let mail_status = if state.mailer.enabled() {
        status::QUEUED
    } else {
        status::DISABLED
    };
    let inviter = caller.actor().name;
    let (invitation, organization) = state
        .db
        .write(move |conn| {
            let invitation = create(conn, &caller, user, token_hash, ttl, mail_status)?;
            let organization = db::orgs::find(conn, caller.organization_id())?.name;
            Ok((invitation, organization))
        })
        .await?;
    let link = state.mailer.link(ACCEPT_PATH, &token);
    if !state.mailer.enabled() {
        return Ok(Invited {
            invitation,
            link: Some(link),
        });
    }
    let (row, user) = invitation;
    let (status, error) = state.mailer.send(Mail {
        to_email: user.email.clone(),
        to_name: user.name.clone(),
        kind: MailKind::Invitation {
            id: row.id.clone(),
            organization,
            inviter,
            link,
            expires: row.expires,
        },
    });
    let mut row = row;
    if status == status::FAILED {
        let id = row.id.clone();
        let why = error.clone();
        state
            .db
            .write(move |conn| Ok(rows::set_mail_status(conn, &id, status, why.as_deref())?))
            .await?;
        row.mail_status = status.to_owned();
        row.mail_error = error;
    }
    Ok(Invited {
        invitation: (row, user),
        link: None,
    })
}

/// The transactional part of `invite`.
fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    user: Parsed<Option<String>>,
    token_hash: String,
    ttl: Duration,
    mail_status: &str,
) -> Result<InvitationDetail> {
    require_view(caller)?;
    user.errors.into_result()?;
    let raw = user.value.expect("required");
    let org = caller.organization_id().to_owned();
    let user = PublicId::parse(&raw)
        .map(|id| users::find_visible(conn, &org, id.as_str(), false))
        .transpose()?
        .flatten()
        .ok_or(Error::UnknownReference {
            field: "user",
            id: raw.clone(),
        })?;
    require_over_invitee(conn, caller, &user.id)?;
    let now = time::now();
    let actor = caller.actor();
    match State::derive(user.active, user.password_hash.is_some(), false) {
        State::Active => return Err(Error::field("user", NOT_INVITABLE)),
        State::Pending => {}
        State::Deactivated => {
            let changes = UserChanges {
                active: Some(true),
                password_hash: Some(None),
                changed: Some(now),
                changed_by_id: Some(actor.id.clone()),
                changed_by_email: Some(actor.email.clone()),
                changed_by_name: Some(actor.name.clone()),
                ..UserChanges::default()
            };
            users::update(conn, &user.id, &changes)?;
            // The cleared password ends its tokens; its keys went with the
            // deactivation, unless that predates the rule.
            super::keys::end_credentials(conn, &user.id, true)?;
            let mut changes = audit::change("active", false.into(), true.into());
            changes.extend(audit::change("password", Value::Null, "(cleared)".into()));
            caller.audit(
                conn,
                AuditAction::UserUpdated,
                audit::object("user", &user.id),
                changes,
            )?;
        }
    }
    rows::supersede_open(conn, &user.id, now)?;
    let row = InvitationRow {
        id: PublicId::random().into_string(),
        organization_id: org.clone(),
        user_id: user.id,
        token_hash,
        created: now,
        expires: now + ttl,
        accepted: None,
        superseded: None,
        revoked: None,
        mail_status: mail_status.to_owned(),
        mail_error: None,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
    };
    rows::insert(conn, &row)?;
    caller.audit(
        conn,
        AuditAction::InvitationCreated,
        audit::object("invitation", &row.id),
        audit::change("user", Value::Null, row.user_id.clone().into()),
    )?;
    rows::find_in_org(conn, &org, &row.id)?.ok_or(Error::NotFound)
}

/// Whether the caller may invite `user_id`, or take its invitation back:
/// `users.manage` where the user is a member, and every permission the
/// user holds (`service::authority`).
fn require_over_invitee(conn: &mut DbConnection, caller: &Caller, user_id: &str) -> Result<()> {
    let teams = users::teams_of(conn, user_id)?;
    caller.require_at(Permission::UsersManage, Scope::Member { teams: &teams })?;
    authority::require_over_user(conn, caller, user_id)
}

/// Who may see invitations: whoever may invite somewhere (they show who
/// was invited by whom, and mail failures, which are administrators' business).
pub fn require_view(caller: &Caller) -> Result<()> {
    if caller.grants.anywhere(Permission::UsersManage) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: Parsed<InvitationFilter>,
    page: PageRequest,
) -> Result<Page<InvitationDetail>> {
    require_view(caller)?;
    let filter = &filter.into_result()?;
    let org = caller.organization_id();
    Page::load(
        conn,
        page,
        |c| rows::count(c, org, filter),
        |c, offset, limit| Ok(rows::page(c, org, filter, offset, limit)?),
    )
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<InvitationDetail> {
    require_view(caller)?;
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    rows::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)
}

/// Takes back a pending invitation: its link stops working, and the user
/// stays PENDING until invited again. Judged as inviting them is
/// (`users.manage` over the user and every permission the user holds); an
/// invitation accepted, replaced, expired or revoked already is a 400.
/// Audited as `invitation.revoked`.
pub fn revoke(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<InvitationDetail> {
    require_view(caller)?;
    let org = caller.organization_id().to_owned();
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    let (mut row, user) = rows::find_in_org(conn, &org, id.as_str())?.ok_or(Error::NotFound)?;
    require_over_invitee(conn, caller, &user.id)?;
    let now = time::now();
    if !rows::revoke(conn, &row.id, now)? {
        return Err(Error::non_field(NOT_REVOCABLE));
    }
    caller.audit(
        conn,
        AuditAction::InvitationRevoked,
        audit::object("invitation", &row.id),
        audit::change("user", user.id.clone().into(), Value::Null),
    )?;
    // The conditional update changed exactly this column.
    row.revoked = Some(now);
    Ok((row, user))
}

/// A link token and a new password, as posted to accept an invitation or
/// confirm a reset.
pub struct LinkInput {
    pub token: String,
    pub password: Password,
    /// Where the request came from (throttling counts its client address).
    pub context: RequestContext,
}

fn client_of(context: &RequestContext) -> String {
    context.client_address.clone().unwrap_or_default()
}

/// Whether an invitation can still be accepted.
fn check_invitation(row: &InvitationRow, user: &UserRow, now: NaiveDateTime) -> Result<()> {
    let refusal = if row.accepted.is_some() {
        Some(LINK_USED)
    } else if row.revoked.is_some() {
        Some(LINK_REVOKED)
    } else if row.superseded.is_some() {
        Some(LINK_SUPERSEDED)
    } else if row.expires <= now {
        Some(LINK_EXPIRED)
    } else if State::derive(user.active, user.password_hash.is_some(), user.is_apiuser)
        != State::Pending
    {
        // Deactivated, or given a password another way, since.
        Some(LINK_INVALID)
    } else {
        None
    };
    match refusal {
        Some(message) => Err(Error::field("token", message)),
        None => Ok(()),
    }
}

/// Sets the invited user's password and makes it ACTIVE. Wrong tokens are
/// throttled like logins.
pub async fn accept(state: &AppState, input: LinkInput) -> Result<()> {
    use_link(
        state,
        input,
        LinkRules {
            find: rows::find_by_token_hash,
            check: check_invitation,
            claim: |conn, row, _, _, now| rows::accept(conn, &row.id, now),
            event: |row, _| {
                (
                    AuditAction::InvitationAccepted,
                    "invitation",
                    row.id.clone(),
                    audit::change("state", "PENDING".into(), "ACTIVE".into()),
                )
            },
        },
    )
    .await
}

/// A link's row with the user it is for.
type Found<R> = (R, UserRow);

/// What differs between an invitation link and a password reset link.
struct LinkRules<R> {
    find: fn(&mut DbConnection, &str) -> diesel::QueryResult<Option<Found<R>>>,
    /// Whether the link still works (a 400 on `token` saying why not).
    check: fn(&R, &UserRow, NaiveDateTime) -> Result<()>,
    /// Uses the link up; false when a racing request used it first.
    claim: fn(&mut DbConnection, &R, &UserRow, &str, NaiveDateTime) -> diesel::QueryResult<bool>,
    /// The audit event of a successful use: action, object type and id, changes.
    event: fn(&R, &UserRow) -> (AuditAction, &'static str, String, audit::Changes),
}

/// Sets a password through a link: throttled per client address and per
/// token (each use counted before the link is looked up, and forgiven in
/// the transaction that uses the link); checked before the costly hash and
/// again in the transaction that uses the link up, sets the password and
/// records the event.
async fn use_link<R: Send + 'static>(
    state: &AppState,
    input: LinkInput,
    rules: LinkRules<R>,
) -> Result<()> {
    let keys = state
        .login_throttle
        .keys_for("link", &client_of(&input.context), &input.token);
    let attempt = throttle::reserve(state, &keys).await?;
    let token_hash = keys::hash(&input.token);
    let lookup = token_hash.clone();
    let found = state
        .db
        .read(move |conn| Ok((rules.find)(conn, &lookup)?))
        .await?;
    let checked = match &found {
        None => Err(Error::field("token", LINK_INVALID)),
        Some((row, user)) => (rules.check)(row, user, time::now()),
    };
    if let Err(e) = checked {
        attempt.keep();
        return Err(e);
    }
    if let Some((_, user)) = &found {
        // Enforced single sign-on: no password to choose (OWNERs excepted).
        let user = user.clone();
        let sign_in = state
            .db
            .read(move |conn| sso_login::password_sign_in(conn, &user))
            .await?;
        if sign_in == PasswordSignIn::Refused {
            throttle::settle(state, attempt).await?;
            return Err(Error::non_field(sso_login::SSO_REQUIRED));
        }
    }
    let owner = found
        .as_ref()
        .map(|(_, user)| passwords::owner_of(user))
        .unwrap_or_default();
    let hash = passwords::judge_and_hash(&state.hasher, input.password, owner)
        .await?
        .map_err(|weak| Error::field("password", weak))?;
    let context = input.context;
    state
        .db
        .write(move |conn| {
            let (row, user) =
                (rules.find)(conn, &token_hash)?.ok_or_else(|| Error::field("token", LINK_USED))?;
            let now = time::now();
            (rules.check)(&row, &user, now)?;
            if !(rules.claim)(conn, &row, &user, &token_hash, now)? {
                return Err(Error::field("token", LINK_USED));
            }
            set_password(conn, &user, hash, now)?;
            attempt.settle(conn)?;
            let (action, kind, id, changes) = (rules.event)(&row, &user);
            audit::record(
                conn,
                &user.organization_id,
                Some(&user),
                &context,
                action,
                audit::object(kind, &id),
                changes,
            )
        })
        .await
}

/// A user's own new password, set through a link: every earlier token and
/// reset link of the user dies.
fn set_password(
    conn: &mut DbConnection,
    user: &UserRow,
    hash: String,
    now: NaiveDateTime,
) -> Result<()> {
    let author = user.changed_by_self();
    let changes = UserChanges {
        password_hash: Some(Some(hash)),
        changed: Some(now),
        changed_by_id: Some(author.id),
        changed_by_email: Some(author.email),
        changed_by_name: Some(author.name),
        ..UserChanges::default()
    };
    users::update(conn, &user.id, &changes)?;
    users::bump_token_version(conn, &user.id)?;
    Ok(())
}

/// Mails a reset link to each ACTIVE person with this email (one per
/// organization). Answers the same whether or not there is one; requests
/// count towards a throttle per client address and per email, so that it
/// cannot be used to flood a mailbox.
pub async fn request_reset(state: &AppState, email: String, context: RequestContext) -> Result<()> {
    let keys =
        state
            .login_throttle
            .keys_for("reset", &client_of(&context), &email.trim().to_lowercase());
    throttle::reserve(state, &keys).await?.keep();
    let ttl = Duration::seconds(i64::from(state.mail_settings.password_reset_ttl));
    let issued = state
        .db
        .write(move |conn| {
            let now = time::now();
            rows::prune_resets(conn, now)?;
            let mut issued = Vec::new();
            for user in users::find_people_by_email(conn, email.trim())? {
                if State::derive(user.active, user.password_hash.is_some(), false) != State::Active
                {
                    continue;
                }
                // Enforced single sign-on: no reset link (the answer stays the same).
                if sso_login::password_sign_in(conn, &user)? == PasswordSignIn::Refused {
                    continue;
                }
                let token = random_secret(TOKEN_LEN);
                rows::insert_reset(
                    conn,
                    &PasswordResetRow {
                        token_hash: keys::hash(&token),
                        user_id: user.id.clone(),
                        token_version: user.token_version,
                        created: now,
                        expires: now + ttl,
                    },
                )?;
                audit::record(
                    conn,
                    &user.organization_id,
                    None,
                    &context,
                    AuditAction::AuthPasswordResetRequested,
                    audit::object("user", &user.id),
                    audit::Changes::new(),
                )?;
                let organization = db::orgs::find(conn, &user.organization_id)?.name;
                issued.push((user, organization, token, now + ttl));
            }
            Ok(issued)
        })
        .await?;
    if !state.mailer.enabled() {
        if !issued.is_empty() {
            tracing::warn!("mail is off: a password reset link was made but not sent");
        }
        return Ok(());
    }
    for (user, organization, token, expires) in issued {
        state.mailer.send(Mail {
            to_email: user.email,
            to_name: user.name,
            kind: MailKind::PasswordReset {
                organization,
                link: state.mailer.link(RESET_PATH, &token),
                expires,
            },
        });
    }
    Ok(())
}

/// Whether a reset link still works.
fn check_reset(row: &PasswordResetRow, user: &UserRow, now: NaiveDateTime) -> Result<()> {
    if row.expires <= now {
        return Err(Error::field("token", LINK_EXPIRED));
    }
    let active =
        State::derive(user.active, user.password_hash.is_some(), user.is_apiuser) == State::Active;
    if !active || row.token_version != user.token_version {
        return Err(Error::field("token", LINK_INVALID));
    }
    Ok(())
}

/// Sets a new password through a reset link, throttled like logins.
pub async fn confirm_reset(state: &AppState, input: LinkInput) -> Result<()> {
    use_link(
        state,
        input,
        LinkRules {
            find: rows::find_reset,
            check: check_reset,
            claim: |conn, _, user, token_hash, _| rows::consume_resets(conn, &user.id, token_hash),
            event: |_, user| {
                (
                    AuditAction::AuthPasswordReset,
                    "user",
                    user.id.clone(),
                    audit::change("password", Value::Null, "(changed)".into()),
                )
            },
        },
    )
    .await
}
