//! A person's page (`/console/people/{id}`, a person or an API user):
//! the profile with its editable fields (`service::users::update`, the
//! function of `PATCH /users/{id}/`), roles by tier added and removed
//! (`service::users::change_roles`), labels (`service::users::set_label`),
//! an invitation (`service::invitations::invite`), an API user's keys
//! (`service::keys`), and the person's recent audit history. Each form is
//! offered only when the caller may use it; the service judges it anyway.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::people::{Choice, PersonRow, choices, when};
use super::sign_in::form;
use super::{Chrome, Failure, ROOT, Session, page, page_with_status, see_other};
use crate::db::audit::AuditFilter;
use crate::db::labels::{LabelFilter, LabelOrderField, LabelOrdering};
use crate::db::models::UserDetail;
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::user::{Email, Kind, State, Title, UserName, parse_position};
use crate::error::{Collect, Error, FieldErrors};
use crate::service::grantable::GrantMenu;
use crate::service::keys::{KeyInput, Owner};
use crate::service::users::{AssignmentInput, UserField, UserPatch};
use crate::service::{self, PageRequest, Parsed};

/// Events of the history shown on the page (the audit page has the rest).
const HISTORY_LENGTH: i64 = 10;

/// A role assignment as the page shows it.
pub struct Grant {
    /// The user_role's id (what the remove form sends).
    pub id: String,
    pub role: String,
    /// The team or target it applies to (none at account tier).
    pub place: String,
    /// The membership role: replaced, never removed (everyone holds one).
    pub membership: bool,
}

pub struct KeyLine {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

pub struct Event {
    pub occurred: String,
    pub action: String,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    id: String,
    row: PersonRow,
    api_user: bool,
    name: String,
    titles: Vec<Choice>,
    kinds: Vec<Choice>,
    position: String,
    source: String,
    created: String,
    changed: String,
    changed_by: String,
    contract: String,
    additional_emails: Vec<String>,
    active: bool,
    account: Vec<Grant>,
    team: Vec<Grant>,
    target: Vec<Grant>,
    labels: Vec<(String, String)>,
    /// Labels the person does not hold, to add.
    more_labels: Vec<Choice>,
    may_manage: bool,
    /// What the caller may grant (empty: no role forms).
    grantable: Offer,
    may_invite: bool,
    /// The link of an invitation just made, when no mail server is set up.
    invitation_link: Option<String>,
    keys: Option<Vec<KeyLine>>,
    /// A key's secret, shown once.
    secret: Option<String>,
    history: Option<Vec<Event>>,
    notice: Option<&'static str>,
    errors: Vec<String>,
}

/// The role menus of the page.
#[derive(Default)]
pub struct Offer {
    pub account: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub team_roles: Vec<Choice>,
    pub targets: Vec<Choice>,
    pub target_roles: Vec<Choice>,
}

impl Offer {
    fn of(menu: GrantMenu) -> Self {
        Self {
            account: choices("", menu.account),
            teams: choices("", menu.teams),
            team_roles: choices("", menu.team_roles),
            targets: choices("", menu.targets),
            target_roles: choices("", menu.target_roles),
        }
    }

    pub fn any(&self) -> bool {
        !self.account.is_empty() || !self.teams.is_empty() || !self.targets.is_empty()
    }
}

/// Finds a person, else an API user, of the caller's organization.
fn find(
    conn: &mut crate::db::DbConnection,
    caller: &crate::auth::Caller,
    id: &str,
) -> crate::error::Result<UserDetail> {
    match service::users::get(conn, caller, id, false) {
        Err(Error::NotFound) => service::users::get(conn, caller, id, true),
        other => other,
    }
}

/// Whether `id` is an API user's (a 404 when it is no one's the caller sees).
async fn is_apiuser(session: &Session, id: &str) -> Result<bool, Failure> {
    let caller = session.caller.clone();
    let id = id.to_owned();
    Ok(session
        .state
        .db
        .read(move |conn| Ok(find(conn, &caller, &id)?.user.is_apiuser))
        .await?)
}

/// The page of the person `id`, as the caller may see it.
async fn build(session: &Session, id: String) -> Result<PersonPage, Failure> {
    let caller = session.caller.clone();
    let (detail, may_manage, menu, all_labels, keys, history) = session
        .state
        .db
        .read(move |conn| {
            let detail = find(conn, &caller, &id)?;
            let may_manage = service::users::may_manage(conn, &caller, &detail)?;
            let menu = service::grantable::menu(conn, &caller)?;
            let all_labels = if may_manage {
                let by_name = LabelOrdering {
                    field: LabelOrderField::Name,
                    descending: false,
                };
                service::labels::list(
                    conn,
                    &caller,
                    Parsed::valid((LabelFilter::default(), by_name)),
                    PageRequest::new(1, PageRequest::MAX_LENGTH),
                )?
                .rows
            } else {
                Vec::new()
            };
            let keys = if detail.user.is_apiuser {
                match service::keys::list(conn, &caller, Owner::ApiUser(&detail.user.id)) {
                    Ok(keys) => Some(keys),
                    Err(Error::Forbidden) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            let history = if caller.has(Permission::AuditView) {
                let filter = AuditFilter {
                    object_id: Some(detail.user.id.clone()),
                    ..AuditFilter::default()
                };
                Some(
                    service::audit::list(
                        conn,
                        &caller,
                        Parsed::valid(filter),
                        false,
                        PageRequest::new(1, HISTORY_LENGTH),
                    )?
                    .rows,
                )
            } else {
                None
            };
            Ok((detail, may_manage, menu, all_labels, keys, history))
        })
        .await?;
    let grants = |tier: Tier| -> Vec<Grant> {
        detail
            .roles
            .iter()
            .filter(|r| r.tier == tier)
            .map(|r| Grant {
                membership: r.tier == Tier::Account
                    && BuiltinRole::by_id(&r.role_id).is_some_and(BuiltinRole::is_membership),
                id: r.id.clone(),
                role: r.role_name.clone(),
                place: r
                    .team_name
                    .clone()
                    .or_else(|| r.target_name.clone())
                    .unwrap_or_default(),
            })
            .collect()
    };
    let user = &detail.user;
    let held: BTreeSet<&str> = detail.labels.iter().map(|l| l.id.as_str()).collect();
    let state = State::derive(user.active, user.password_hash.is_some(), user.is_apiuser);
    let additional_emails: Vec<String> =
        serde_json::from_str(&user.additional_email_addresses).unwrap_or_default();
    let grantable = if may_manage || session.caller.grants.anywhere(Permission::RolesGrant) {
        Offer::of(menu)
    } else {
        Offer::default()
    };
    Ok(PersonPage {
        chrome: Chrome::of(session, "people"),
        id: user.id.clone(),
        row: PersonRow::of(&detail),
        api_user: user.is_apiuser,
        name: user.name.clone(),
        titles: choices(
            user.title.as_str(),
            [
                ("", "None"),
                ("ceo", "CEO"),
                ("cto", "CTO"),
                ("cso", "CSO"),
                ("seceng", "Security engineer"),
                ("dev", "Developer"),
                ("devop", "DevOps"),
                ("manager", "Manager"),
                ("other", "Other"),
            ]
            .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
        kinds: choices(
            user.kind.map(|k| k.as_str()).unwrap_or_default(),
            [
                ("", "Not set"),
                ("employee", "Employee"),
                ("contractor", "Contractor"),
                ("service_account", "Service account"),
            ]
            .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
        position: user.position.clone().unwrap_or_default(),
        source: format!("{:?}", user.source),
        created: when(Some(user.created)),
        changed: when(Some(user.changed)),
        changed_by: user.changed_by_name.clone(),
        contract: match (user.contract_start_date, user.contract_end_date) {
            (None, None) => String::new(),
            (start, end) => format!("{} to {}", when(start), when(end)),
        },
        additional_emails,
        active: user.active,
        account: grants(Tier::Account),
        team: grants(Tier::Team),
        target: grants(Tier::Scope),
        labels: detail
            .labels
            .iter()
            .map(|l| (l.id.clone(), l.name.clone()))
            .collect(),
        more_labels: choices(
            "",
            all_labels
                .into_iter()
                .filter(|l| !held.contains(l.id.as_str()))
                .map(|l| (l.id, l.name)),
        ),
        may_invite: may_manage
            && !user.is_apiuser
            && matches!(state, State::Pending | State::Deactivated),
        may_manage,
        grantable,
        invitation_link: None,
        keys: keys.map(|keys| {
            keys.into_iter()
                .map(|k| KeyLine {
                    id: k.id,
                    name: k.name,
                    prefix: k.prefix,
                    created: when(Some(k.created)),
                    expires: when(k.expires),
                    last_used: when(k.last_used),
                })
                .collect()
        }),
        secret: None,
        history: history.map(|rows| {
            rows.into_iter()
                .map(|e| Event {
                    occurred: e.occurred.format("%Y-%m-%d %H:%M").to_string(),
                    actor: e
                        .actor_email
                        .or(e.actor_name)
                        .unwrap_or_else(|| e.actor_type.clone()),
                    action: e.action,
                })
                .collect()
        }),
        notice: None,
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct ShowParams {
    done: Option<String>,
}

/// `GET /console/people/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    query: web::Query<ShowParams>,
) -> Result<HttpResponse, Failure> {
    let mut template = build(&session, id.into_inner()).await?;
    template.notice = match query.done.as_deref() {
        Some("deactivated") => Some("Deactivated: their sessions and keys have ended."),
        Some("reactivated") => Some("Reactivated."),
        Some("created") => Some("Added. Invite them to choose a password."),
        Some("saved") => Some("Saved."),
        Some("roles") => Some("Roles changed."),
        Some("labels") => Some("Labels changed."),
        Some("revoked") => Some("Key revoked."),
        _ => None,
    };
    page(&template)
}

/// The page again with why the form did not work (field errors are shown;
/// a refusal is the error page).
async fn refused(session: &Session, id: String, error: Error) -> Result<HttpResponse, Failure> {
    let errors = error.into_field_errors().map_err(Failure::from)?;
    let mut template = build(session, id).await?;
    template.errors = super::messages(errors.into_value());
    page_with_status(StatusCode::BAD_REQUEST, &template)
}

/// Where a form sends the browser once done.
fn done(id: &str, what: &str) -> HttpResponse {
    see_other(&format!("{ROOT}/people/{id}?done={what}"))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    position: Option<String>,
}

/// `POST /console/people/{id}/profile`: the PATCH of name, email, title,
/// kind and position (`service::users::update`).
pub async fn save_profile(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: ProfileForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let id = id.into_inner();
    let is_apiuser = is_apiuser(&session, &id).await?;
    let mut errors = FieldErrors::new();
    let mut patch = UserPatch::default();
    patch.name(UserField::Name);
    patch.name = UserName::parse(&input.name).collect(&mut errors, "name");
    if let Some(email) = &input.email {
        patch.name(UserField::Email);
        patch.email = Email::parse(email).collect(&mut errors, "email");
    }
    if let Some(title) = &input.title {
        patch.name(UserField::Title);
        patch.title = Title::parse(title).collect(&mut errors, "title");
    }
    if let Some(kind) = &input.kind {
        patch.name(UserField::Kind);
        patch.kind = match kind.as_str() {
            "" => Some(None),
            k => Kind::parse(k).collect(&mut errors, "kind").map(Some),
        };
    }
    if let Some(position) = &input.position {
        patch.name(UserField::Position);
        patch.position = parse_position(position)
            .collect(&mut errors, "position")
            .map(|p| (!p.is_empty()).then_some(p));
    }
    let caller = session.caller.clone();
    let target = id.clone();
    match session
        .state
        .db
        .write(move |conn| {
            service::users::update(
                conn,
                &caller,
                &target,
                is_apiuser,
                Parsed::new(patch, errors),
            )
        })
        .await
    {
        Ok(_) => Ok(done(&id, "saved")),
        Err(error) => refused(&session, id, error).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    /// `account`, `team` or `scope` to add; empty to remove `remove`.
    #[serde(default)]
    tier: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    target: String,
    /// The assignment (user_role id) to remove.
    #[serde(default)]
    remove: String,
}

/// `POST /console/people/{id}/roles`: adds one role assignment or removes
/// one (`service::users::change_roles`, the PATCH of `user_roles`).
pub async fn change_roles(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: RoleForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let id = id.into_inner();
    let is_apiuser = is_apiuser(&session, &id).await?;
    let text = |raw: &str| {
        let raw = raw.trim();
        (!raw.is_empty()).then(|| raw.to_owned())
    };
    let remove = text(&input.remove);
    let add = match (remove.is_some(), input.tier.as_str()) {
        (true, _) => None,
        (false, "account" | "team" | "scope") => Some(AssignmentInput {
            role: text(&input.role),
            tier: Some(input.tier.clone()),
            team: text(&input.team),
            target: text(&input.target),
            ..AssignmentInput::default()
        }),
        _ => {
            return Err(Failure::Refused(vec![
                "Choose a role to add or remove.".into(),
            ]));
        }
    };
    let caller = session.caller.clone();
    let target = id.clone();
    match session
        .state
        .db
        .write(move |conn| {
            service::users::change_roles(conn, &caller, &target, is_apiuser, add, remove.as_deref())
        })
        .await
    {
        Ok(_) => Ok(done(&id, "roles")),
        Err(error) => refused(&session, id, error).await,
    }
}

#[derive(Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    /// `add` or `remove`.
    #[serde(default)]
    op: String,
}

/// `POST /console/people/{id}/labels`: puts a label on or takes it off
/// (`service::users::set_label`, the PATCH of `labels`).
pub async fn change_labels(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: LabelForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let id = id.into_inner();
    let is_apiuser = is_apiuser(&session, &id).await?;
    let add = match input.op.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(Failure::Refused(vec!["Choose to add or remove.".into()])),
    };
    let label = input.label.trim().to_owned();
    if label.is_empty() {
        return Err(Failure::Refused(vec!["Choose a label.".into()]));
    }
    let caller = session.caller.clone();
    let target = id.clone();
    match session
        .state
        .db
        .write(move |conn| {
            service::users::set_label(conn, &caller, &target, is_apiuser, &label, add)
        })
        .await
    {
        Ok(_) => Ok(done(&id, "labels")),
        Err(error) => refused(&session, id, error).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/people/{id}/invite`: invites (or invites again) a
/// PENDING or DEACTIVATED person (`service::invitations::invite`, as
/// `POST /invitations/`). Without a mail server the link is shown here,
/// as the REST answer gives it.
pub async fn invite(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: CsrfForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let id = id.into_inner();
    match service::invitations::invite(
        &session.state,
        session.caller.clone(),
        Parsed::valid(Some(id.clone())),
    )
    .await
    {
        Ok(invited) => {
            let mut template = build(&session, id).await?;
            template.notice = Some(if invited.link.is_some() {
                "Invited. No mail server is set up: hand them this link."
            } else {
                "Invited: the link is on its way by mail."
            });
            template.invitation_link = invited.link;
            page(&template)
        }
        Err(error) => refused(&session, id, error).await,
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /console/people/{id}/keys`: a new key of an API user
/// (`service::keys::create`, as `POST /api-users/{id}/keys/`); its secret
/// is on this answer only.
pub async fn create_key(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: KeyForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let id = id.into_inner();
    let mut errors = FieldErrors::new();
    let name = crate::domain::token::parse_key_name(&input.name).collect(&mut errors, "name");
    let caller = session.caller.clone();
    let owner = id.clone();
    match session
        .state
        .db
        .write(move |conn| {
            service::keys::create(
                conn,
                &caller,
                Owner::ApiUser(&owner),
                Parsed::new(
                    KeyInput {
                        name,
                        expires: None,
                    },
                    errors,
                ),
            )
        })
        .await
    {
        Ok((_, secret)) => {
            let mut template = build(&session, id).await?;
            template.secret = Some(secret);
            page(&template)
        }
        Err(error) => refused(&session, id, error).await,
    }
}

/// `POST /console/people/{id}/keys/{key}/revoke`: revokes an API user's
/// key at once (`service::keys::revoke`).
pub async fn revoke_key(
    session: Session,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: CsrfForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let (id, key) = path.into_inner();
    let caller = session.caller.clone();
    let owner = id.clone();
    session
        .state
        .db
        .write(move |conn| service::keys::revoke(conn, &caller, Owner::ApiUser(&owner), &key))
        .await?;
    Ok(done(&id, "revoked"))
}
