//! The API users pages: the list (through `service::users::list`, as
//! `/api-users/` lists them), a new API user (`service::users::create`)
//! with its first key (`service::keys::create`, when the caller may manage
//! keys) whose secret is shown once, on the page that answers the form,
//! and never again; an API user's page with its keys (a new one, shown
//! once too; revoke) and deactivation or reactivation
//! (`service::users::update`).

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::db::keys::KeyRow;
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::role::Permission;
use crate::domain::token::{KEY_NAME_MAX, parse_key_name};
use crate::domain::user::{EMAIL_MAX, Email, NAME_MAX, State, UserName};
use crate::error::{Collect, FieldErrors};
use crate::service::keys::{KeyInput, Owner};
use crate::service::users::{NewUser, UserField, UserPatch, UserQuery};
use crate::service::{self, Parsed};

const FIELDS: [&str; 3] = ["name", "email", "key_name"];

pub struct ApiUserItem {
    pub url: String,
    pub name: String,
    pub email: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub created: String,
}

fn state_of(active: bool) -> (&'static str, &'static str) {
    match State::derive(active, false, true) {
        State::Active => ("Active", "ok"),
        State::Pending => ("Pending", "warn"),
        State::Deactivated => ("Deactivated", "off"),
    }
}

#[derive(Template)]
#[template(path = "api_users.html")]
struct ApiUsersPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<ApiUserItem>,
    pager: Pager,
    may_create: bool,
    notice: Option<&'static str>,
}

/// `GET /console/api-users`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let user_query = UserQuery {
        filter: UserFilter {
            is_apiuser: true,
            search: params.search(),
            ..UserFilter::default()
        },
        ordering: UserOrdering {
            field: UserOrderField::Name,
            descending: false,
        },
        validate_ids: false,
    };
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::users::list(conn, caller, Parsed::valid(user_query), request)
    })
    .await?;
    let template = ApiUsersPage {
        chrome: Chrome::of(&session, "api-users"),
        pager: Pager::of(&listed, &params, "api-users"),
        rows: listed
            .rows
            .into_iter()
            .map(|d| {
                let (state, state_class) = state_of(d.user.active);
                ApiUserItem {
                    url: format!("{ROOT}/api-users/{}", d.user.id),
                    name: d.user.name,
                    email: d.user.email,
                    state,
                    state_class,
                    created: org::when(d.user.created),
                }
            })
            .collect(),
        may_create: session.caller.has(Permission::UsersManage),
        notice: org::notice(&params.done),
        params,
    };
    page(&template)
}

#[derive(Default)]
pub struct ApiUserValues {
    pub name: String,
    pub email: String,
    pub key_name: String,
}

#[derive(Template)]
#[template(path = "api_user_new.html")]
struct NewPage {
    chrome: Chrome,
    values: ApiUserValues,
    errors: FormErrors,
    /// Whether a first key is made with the API user.
    with_key: bool,
    name_max: usize,
    email_max: usize,
    key_name_max: usize,
}

impl NewPage {
    fn of(session: &Session, values: ApiUserValues, errors: FormErrors) -> Self {
        Self {
            chrome: Chrome::of(session, "api-users"),
            values,
            errors,
            with_key: session.caller.has(Permission::KeysManage),
            name_max: NAME_MAX,
            email_max: EMAIL_MAX,
            key_name_max: KEY_NAME_MAX,
        }
    }
}

/// `GET /console/api-users/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    service::users::authorize_create(&session.caller)?;
    page(&NewPage::of(
        &session,
        ApiUserValues::default(),
        FormErrors::default(),
    ))
}

/// A key just made: its secret, shown on this one page.
pub struct NewKey {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "api_user_key.html")]
struct KeyShownPage {
    chrome: Chrome,
    user_url: String,
    user_name: String,
    key: Option<NewKey>,
}

fn parse_key(form: &Form, field: &str, e: &mut FieldErrors) -> Parsed<KeyInput> {
    let name = parse_key_name(form.text(field)).collect(e, field);
    Parsed::valid(KeyInput {
        name,
        expires: None,
    })
}

/// `POST /console/api-users`: the API user, then (with `keys.manage`) its
/// first key, in one transaction; the answer shows the key's secret.
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let values = ApiUserValues {
        name: form.text("name").to_owned(),
        email: form.text("email").to_owned(),
        key_name: form.text("key_name").to_owned(),
    };
    let mut e = FieldErrors::new();
    let fields = UserPatch {
        email: Email::parse(&values.email).collect(&mut e, "email"),
        name: UserName::parse(&values.name).collect(&mut e, "name"),
        named: BTreeSet::from([UserField::Email, UserField::Name]),
        ..UserPatch::default()
    };
    let with_key = session.caller.has(Permission::KeysManage);
    let key = with_key.then(|| parse_key(&form, "key_name", &mut e));
    let input = Parsed::new(NewUser::manual(fields), e);
    let made = write(&session, move |conn, caller| {
        let user = service::users::create(conn, caller, true, input)?;
        let key = match key {
            Some(key) => Some(service::keys::create(
                conn,
                caller,
                Owner::ApiUser(&user.user.id),
                key,
            )?),
            None => None,
        };
        Ok((user, key))
    })
    .await;
    match made {
        Ok((user, key)) => page(&KeyShownPage {
            chrome: Chrome::of(&session, "api-users"),
            user_url: format!("{ROOT}/api-users/{}", user.user.id),
            user_name: user.user.name,
            key: key.map(|(row, secret)| NewKey {
                name: row.name,
                secret,
            }),
        }),
        Err(error) => refused(&NewPage::of(
            &session,
            values,
            FormErrors::of(error, &FIELDS)?,
        )),
    }
}

pub struct KeyItem {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
}

impl KeyItem {
    fn of(row: KeyRow) -> Self {
        let or_dash = |t: Option<chrono::NaiveDateTime>| t.map(org::when).unwrap_or("—".into());
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created: org::when(row.created),
            last_used: or_dash(row.last_used),
            expires: or_dash(row.expires),
        }
    }
}

#[derive(Template)]
#[template(path = "api_user.html")]
struct ApiUserPage {
    chrome: Chrome,
    id: String,
    name: String,
    email: String,
    state: &'static str,
    state_class: &'static str,
    active: bool,
    created: String,
    roles: Vec<String>,
    /// None: the caller may not manage this API user's keys.
    keys: Option<Vec<KeyItem>>,
    may_manage: bool,
    errors: FormErrors,
    notice: Option<&'static str>,
    key_name_max: usize,
}

async fn api_user_page(
    session: &Session,
    id: String,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> Result<ApiUserPage, Failure> {
    let user_id = id.clone();
    let (detail, may_manage, keys) = read(session, move |conn, caller| {
        let detail = service::users::get(conn, caller, &user_id, true)?;
        let may_manage = service::users::may_manage(conn, caller, &detail)?;
        let keys = if caller.has(Permission::KeysManage) {
            match service::keys::list(conn, caller, Owner::ApiUser(&detail.user.id)) {
                Ok(keys) => Some(keys),
                Err(crate::error::Error::Forbidden) => None,
                Err(other) => return Err(other),
            }
        } else {
            None
        };
        Ok((detail, may_manage, keys))
    })
    .await?;
    let (state, state_class) = state_of(detail.user.active);
    Ok(ApiUserPage {
        chrome: Chrome::of(session, "api-users"),
        id,
        name: detail.user.name.clone(),
        email: detail.user.email.clone(),
        state,
        state_class,
        active: detail.user.active,
        created: org::when(detail.user.created),
        roles: detail
            .roles
            .iter()
            .map(|r| match r.team_name.as_ref().or(r.target_name.as_ref()) {
                Some(place) => format!("{} at {place}", r.role_name),
                None => r.role_name.clone(),
            })
            .collect(),
        keys: keys.map(|rows| rows.into_iter().map(KeyItem::of).collect()),
        may_manage,
        errors,
        notice,
        key_name_max: KEY_NAME_MAX,
    })
}

/// `GET /console/api-users/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, Failure> {
    let notice = match done.done.as_str() {
        "deactivated" => Some("Deactivated: its keys have ended."),
        "reactivated" => Some("Reactivated. It needs a new key."),
        "revoked" => Some("The key is revoked."),
        other => org::notice(other),
    };
    page(&api_user_page(&session, org::id(id), FormErrors::default(), notice).await?)
}

/// `POST /console/api-users/{id}/keys`: a new key, its secret shown once.
pub async fn create_key(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let mut e = FieldErrors::new();
    let mut key = parse_key(&form, "name", &mut e);
    key.errors = e;
    let user = id.clone();
    let made = write(&session, move |conn, caller| {
        let key = service::keys::create(conn, caller, Owner::ApiUser(&user), key)?;
        let detail = service::users::get(conn, caller, &user, true)?;
        Ok((detail, key))
    })
    .await;
    match made {
        Ok((detail, (row, secret))) => page(&KeyShownPage {
            chrome: Chrome::of(&session, "api-users"),
            user_url: format!("{ROOT}/api-users/{id}"),
            user_name: detail.user.name,
            key: Some(NewKey {
                name: row.name,
                secret,
            }),
        }),
        Err(error) => {
            let errors = FormErrors::of(error, &[])?;
            refused(&api_user_page(&session, id, errors, None).await?)
        }
    }
}

/// `POST /console/api-users/{id}/keys/{key}/revoke`
pub async fn revoke_key(
    session: Session,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    Form::read(&session, &body)?;
    let (id, key) = path.into_inner();
    let user = id.clone();
    write(&session, move |conn, caller| {
        service::keys::revoke(conn, caller, Owner::ApiUser(&user), &key)
    })
    .await?;
    Ok(see_other(&format!("{ROOT}/api-users/{id}?done=revoked")))
}

/// `POST /console/api-users/{id}/active`: deactivates (`active=false`,
/// which ends its keys) or reactivates, as a PATCH of `active` would.
pub async fn set_active(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let active = match form.text("active") {
        "true" => true,
        "false" => false,
        _ => {
            return Err(Failure::Refused(vec![
                "Choose to deactivate or reactivate.".into(),
            ]));
        }
    };
    let patch = UserPatch {
        active: Some(active),
        named: BTreeSet::from([UserField::Active]),
        ..UserPatch::default()
    };
    let id = org::id(id);
    let user = id.clone();
    write(&session, move |conn, caller| {
        service::users::update(conn, caller, &user, true, Parsed::valid(patch))
    })
    .await?;
    let done = if active { "reactivated" } else { "deactivated" };
    Ok(see_other(&format!("{ROOT}/api-users/{id}?done={done}")))
}
