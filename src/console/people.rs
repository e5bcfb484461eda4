//! The people pages: the list (search, filters, sort, paging through
//! `service::users::list`, the REST list's function, so it is served by
//! the same indexes) and a person (through `service::users::get`), with
//! deactivate and reactivate posting through `service::users::update`.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::sign_in::form;
use super::{Chrome, Failure, ROOT, Session, page, page_with_status, see_other};
use crate::db::labels::{LabelFilter, LabelOrderField, LabelOrdering};
use crate::db::models::UserDetail;
use crate::db::roles::RoleOrderField;
use crate::db::targets::{TargetFilter, TargetOrdering};
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::PublicId;
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::user::State;
use crate::domain::user::{Email, UserName};
use crate::error::Collect;
use crate::service::users::{AssignmentInput, NewUser, UserField, UserPatch, UserQuery};
use crate::service::{self, PageRequest, Parsed};

/// People per page.
const PAGE_LENGTH: i64 = 25;
/// Most labels, teams and roles a filter menu offers.
const MENU_LENGTH: i64 = 100;

/// The list's parameters, as the filter form sends them. A value that
/// does not parse is ignored (the form only sends good ones).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    mfa: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
    /// What a form just did (a notice; not part of the list's URL).
    #[serde(default)]
    done: Option<String>,
    /// How many people it changed.
    #[serde(default)]
    n: String,
}

const SORTS: [(&str, UserOrderField); 5] = [
    ("name", UserOrderField::Name),
    ("email", UserOrderField::Email),
    ("changed", UserOrderField::Changed),
    ("created", UserOrderField::Created),
    ("last_login", UserOrderField::LastLogin),
];

impl ListParams {
    fn id(raw: &str) -> Option<String> {
        PublicId::parse(raw.trim()).map(PublicId::into_string)
    }

    fn role_id(raw: &str) -> Option<String> {
        BuiltinRole::by_name(raw.trim())
            .map(|b| b.id().to_owned())
            .or_else(|| Self::id(raw))
    }

    fn filter(&self) -> UserFilter {
        let search = self.q.trim();
        UserFilter {
            search: (!search.is_empty()).then(|| search.chars().take(100).collect()),
            labels: Self::id(&self.label).into_iter().collect(),
            roles: Self::role_id(&self.role).into_iter().collect(),
            teams: Self::id(&self.team).into_iter().collect(),
            targets: Self::id(&self.target).into_iter().collect(),
            state: State::parse(self.state.trim()).ok(),
            mfa_enabled: match self.mfa.as_str() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
            ..UserFilter::default()
        }
    }

    /// The sort: a field name, `-` first for descending (default `name`).
    fn ordering(&self) -> UserOrdering {
        let (descending, name) = match self.sort.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, self.sort.as_str()),
        };
        match SORTS.iter().find(|(n, _)| *n == name) {
            Some((_, field)) => UserOrdering {
                field: *field,
                descending,
            },
            None => UserOrdering {
                field: UserOrderField::Name,
                descending: false,
            },
        }
    }

    fn page_number(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).max(1)
    }

    /// This list's URL with another page and sort.
    fn url(&self, page: i64, sort: &str) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", self.q.as_str()),
            ("label", &self.label),
            ("role", &self.role),
            ("team", &self.team),
            ("target", &self.target),
            ("state", &self.state),
            ("mfa", &self.mfa),
            ("sort", sort),
        ] {
            if !value.is_empty() {
                pairs.append_pair(key, value);
            }
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        format!("{ROOT}/people?{}", pairs.finish())
    }
}

/// A choice of a filter menu.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn choices(current: &str, items: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// A column heading that sorts the list.
pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    pub aria: &'static str,
}

/// A person as a row of the list.
pub struct PersonRow {
    pub id: String,
    pub url: String,
    pub name: String,
    pub email: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub membership: String,
    pub mfa: bool,
    pub last_login: String,
    pub labels: Vec<String>,
}

pub fn state_of(user: &crate::db::models::UserRow) -> (&'static str, &'static str) {
    match State::derive(user.active, user.password_hash.is_some(), user.is_apiuser) {
        State::Active => ("Active", "ok"),
        State::Pending => ("Pending", "warn"),
        State::Deactivated => ("Deactivated", "off"),
    }
}

pub fn when(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

pub fn membership_of(detail: &UserDetail) -> String {
    detail
        .roles
        .iter()
        .find(|r| r.tier == Tier::Account && BuiltinRole::by_name(&r.role_name).is_some())
        .map(|r| r.role_name.clone())
        .unwrap_or_default()
}

impl PersonRow {
    pub fn of(detail: &UserDetail) -> Self {
        let (state, state_class) = state_of(&detail.user);
        Self {
            id: detail.user.id.clone(),
            url: format!("{ROOT}/people/{}", detail.user.id),
            name: detail.user.name.clone(),
            email: detail.user.email.clone(),
            state,
            state_class,
            membership: membership_of(detail),
            mfa: detail.user.mfa_enabled,
            last_login: when(detail.user.last_login),
            labels: detail.labels.iter().map(|l| l.name.clone()).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    params: ListParams,
    labels: Vec<Choice>,
    roles: Vec<Choice>,
    teams: Vec<Choice>,
    targets: Vec<Choice>,
    states: Vec<Choice>,
    mfa: Vec<Choice>,
    columns: Vec<SortLink>,
    rows: Vec<PersonRow>,
    count: i64,
    page: i64,
    page_total: i64,
    previous: Option<String>,
    next: Option<String>,
    /// Whether to offer the bulk actions (the service judges each person).
    may_bulk: bool,
    /// The label menu of the bulk actions.
    bulk_labels: Vec<Choice>,
    /// What the bulk action did, or why it did nothing.
    bulk: Option<BulkOutcome>,
    /// The create form, when the caller may create people.
    create: Option<CreateForm>,
    notice: Option<String>,
}

/// What the filter menus offer, read with the caller's permissions.
struct Menus {
    labels: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    grantable: service::grantable::GrantMenu,
}

/// The outcome of a bulk action that did nothing: per person, why.
pub struct BulkOutcome {
    pub failures: Vec<(String, Vec<String>)>,
    pub general: Vec<String>,
}

/// The create-a-person form: what it offers and what was sent.
#[derive(Default)]
pub struct CreateForm {
    pub account_roles: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub team_roles: Vec<Choice>,
    pub name: String,
    pub email: String,
    pub errors: Vec<String>,
}

/// `GET /console/people`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let mut template = build(&session, query.into_inner()).await?;
    let n = template.params.n.trim().parse::<usize>().unwrap_or(0);
    let people = if n == 1 { "person" } else { "people" };
    template.notice = match template.params.done.take().as_deref() {
        Some("deactivated") => Some(format!("Deactivated {n} {people}.")),
        Some("labelled") => Some(format!("Put the label on {n} {people}.")),
        Some("unlabelled") => Some(format!("Took the label off {n} {people}.")),
        _ => None,
    };
    page(&template)
}

/// The people page of `params`.
async fn build(session: &Session, params: ListParams) -> Result<PeoplePage, Failure> {
    let user_query = UserQuery {
        filter: params.filter(),
        ordering: params.ordering(),
        validate_ids: false,
    };
    let request = PageRequest::new(params.page_number(), PAGE_LENGTH);
    let caller = session.caller.clone();
    let menu_page = PageRequest::new(1, MENU_LENGTH);
    let (listed, menus) = session
        .state
        .db
        .read(move |conn| {
            let listed = service::users::list(conn, &caller, Parsed::valid(user_query), request)?;
            let by_name = LabelOrdering {
                field: LabelOrderField::Name,
                descending: false,
            };
            let labels = service::labels::list(
                conn,
                &caller,
                Parsed::valid((LabelFilter::default(), by_name)),
                menu_page,
            )?;
            let roles = service::roles::list(
                conn,
                &caller,
                Parsed::valid((None, (RoleOrderField::Name, false))),
                menu_page,
            )?;
            let teams = service::teams::list(
                conn,
                &caller,
                Parsed::valid((TeamFilter::default(), TeamOrdering::default())),
                menu_page,
            )?;
            let targets = if caller.has(Permission::TargetsView) {
                service::targets::list(
                    conn,
                    &caller,
                    Parsed::valid((TargetFilter::default(), TargetOrdering::default())),
                    menu_page,
                )?
                .rows
                .into_iter()
                .map(|t| (t.target.id, t.target.name))
                .collect()
            } else {
                Vec::new()
            };
            let menus = Menus {
                labels: labels.rows.into_iter().map(|l| (l.id, l.name)).collect(),
                roles: roles.rows.into_iter().map(|r| (r.id, r.name)).collect(),
                teams: teams.rows.into_iter().map(|t| (t.id, t.name)).collect(),
                targets,
                grantable: service::grantable::menu(conn, &caller)?,
            };
            Ok((listed, menus))
        })
        .await?;
    let ordering = params.ordering();
    let columns = [
        ("Name", "name", UserOrderField::Name),
        ("Email", "email", UserOrderField::Email),
        ("Last sign-in", "last_login", UserOrderField::LastLogin),
    ]
    .into_iter()
    .map(|(label, key, field)| {
        let current = ordering.field == field;
        let sort = if current && !ordering.descending {
            format!("-{key}")
        } else {
            key.to_owned()
        };
        SortLink {
            label,
            url: params.url(1, &sort),
            aria: match (current, ordering.descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
        }
    })
    .collect();
    let page_number = listed.request.page;
    let may_create = service::users::authorize_create(&session.caller).is_ok();
    let grantable = menus.grantable;
    let template = PeoplePage {
        chrome: Chrome::of(session, "people"),
        may_bulk: session.caller.grants.anywhere(Permission::UsersManage),
        bulk_labels: choices("", menus.labels.clone()),
        bulk: None,
        create: may_create.then(|| CreateForm {
            account_roles: choices(BuiltinRole::Employee.id(), grantable.account),
            teams: choices("", grantable.teams),
            team_roles: choices("", grantable.team_roles),
            ..CreateForm::default()
        }),
        notice: None,
        targets: choices(&params.target, menus.targets),
        labels: choices(&params.label, menus.labels),
        roles: choices(&params.role, menus.roles),
        teams: choices(&params.team, menus.teams),
        states: choices(
            &params.state,
            [
                ("ACTIVE", "Active"),
                ("PENDING", "Pending"),
                ("DEACTIVATED", "Deactivated"),
            ]
            .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
        mfa: choices(
            &params.mfa,
            [("on", "MFA on"), ("off", "MFA off")].map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
        columns,
        rows: listed.rows.iter().map(PersonRow::of).collect(),
        count: listed.count,
        page: page_number,
        page_total: listed.page_total,
        previous: (page_number > 1).then(|| params.url(page_number - 1, &params.sort)),
        next: (page_number < listed.page_total).then(|| params.url(page_number + 1, &params.sort)),
        params,
    };
    Ok(template)
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// `POST /console/people/{id}/active`: deactivates (`active=false`) or
/// reactivates (`active=true`), as a PATCH of `active` would.
pub async fn set_active(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: ActiveForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let active = match input.active.as_str() {
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
    let caller = session.caller.clone();
    let id = id.into_inner();
    let target = id.clone();
    session
        .state
        .db
        .write(move |conn| {
            service::users::update(conn, &caller, &target, false, Parsed::valid(patch))
        })
        .await?;
    let done = if active { "reactivated" } else { "deactivated" };
    Ok(see_other(&format!("{ROOT}/people/{id}?done={done}")))
}

/// The bulk form: the action, its label, and the people ticked.
struct BulkForm {
    csrf: String,
    action: String,
    label: String,
    ids: Vec<String>,
}

impl BulkForm {
    fn read(body: &[u8]) -> Self {
        let mut form = Self {
            csrf: String::new(),
            action: String::new(),
            label: String::new(),
            ids: Vec::new(),
        };
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "csrf" => form.csrf = value.into_owned(),
                "action" => form.action = value.into_owned(),
                "label" => form.label = value.into_owned(),
                "ids" if form.ids.len() < service::bulk::MAX_IDS => {
                    form.ids.push(value.into_owned())
                }
                _ => {}
            }
        }
        form.ids = service::bulk::dedup(form.ids);
        form
    }
}

/// `POST /console/people/bulk`: deactivates the people ticked
/// (`service::bulk::update_users`, as `POST /users/bulk/update/` with
/// `active: false`), or puts a label on them or takes it off
/// (`service::bulk::label_users`); all of them or none. When some cannot
/// be changed, the page says, per person, why.
pub async fn bulk(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input = BulkForm::read(&body);
    session.check_csrf(&input.csrf)?;
    if input.ids.is_empty() {
        return Err(Failure::Refused(vec!["Tick at least one person.".into()]));
    }
    let (action, done) = match input.action.as_str() {
        "deactivate" => (None, "deactivated"),
        "label" => (Some(true), "labelled"),
        "unlabel" => (Some(false), "unlabelled"),
        _ => return Err(Failure::Refused(vec!["Choose an action.".into()])),
    };
    if action.is_some() && PublicId::parse(input.label.trim()).is_none() {
        return Err(Failure::Refused(vec!["Choose a label.".into()]));
    }
    let caller = session.caller.clone();
    let ids = input.ids.clone();
    let label = input.label.trim().to_owned();
    let outcome = session
        .state
        .db
        .write(move |conn| match action {
            None => {
                let patch = UserPatch {
                    active: Some(false),
                    named: BTreeSet::from([UserField::Active]),
                    ..UserPatch::default()
                };
                service::bulk::update_users(conn, &caller, &ids, false, Parsed::valid(patch))
            }
            Some(add) => service::bulk::label_users(conn, &caller, &ids, &label, add),
        })
        .await;
    let errors = match outcome {
        Ok(()) => {
            return Ok(see_other(&format!(
                "{ROOT}/people?done={done}&n={}",
                input.ids.len()
            )));
        }
        Err(error) => error.into_field_errors().map_err(Failure::from)?,
    };
    // Who failed, by name (read with the caller's permissions).
    let mut value = errors.into_value();
    let per_id = match value.as_object_mut().and_then(|m| m.remove("ids")) {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let general = super::messages(value);
    let caller = session.caller.clone();
    let failures = session
        .state
        .db
        .read(move |conn| {
            let mut out = Vec::new();
            for (id, why) in per_id {
                let name = service::users::get(conn, &caller, &id, false)
                    .map(|d| d.user.name)
                    .unwrap_or(id);
                out.push((name, super::messages(why)));
            }
            Ok(out)
        })
        .await?;
    let mut template = build(&session, ListParams::default()).await?;
    template.bulk = Some(BulkOutcome { failures, general });
    page_with_status(StatusCode::BAD_REQUEST, &template)
}

#[derive(Deserialize)]
pub struct NewPersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    team_role: String,
}

/// `POST /console/people/new`: creates a person (PENDING, to be invited)
/// through `service::users::create`, as `POST /users/` does, with a role
/// in the organization and, when chosen, a role at a team.
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input: NewPersonForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    service::users::authorize_create(&session.caller)?;
    let mut errors = crate::error::FieldErrors::new();
    let mut fields = UserPatch::default();
    fields.name(UserField::Name);
    fields.name(UserField::Email);
    fields.name(UserField::UserRoles);
    fields.name = UserName::parse(&input.name).collect(&mut errors, "name");
    fields.email = Email::parse(&input.email).collect(&mut errors, "email");
    let text = |raw: &str| {
        let raw = raw.trim();
        (!raw.is_empty()).then(|| raw.to_owned())
    };
    let account_role = text(&input.role).unwrap_or_else(|| BuiltinRole::Employee.id().to_owned());
    let mut roles = vec![AssignmentInput {
        role: Some(account_role.clone()),
        tier: Some("account".into()),
        ..AssignmentInput::default()
    }];
    // Everyone holds one membership role: a role that is not one comes
    // with the default.
    let membership = BuiltinRole::by_id(&account_role)
        .or_else(|| BuiltinRole::by_name(&account_role))
        .is_some_and(BuiltinRole::is_membership);
    if !membership {
        roles.insert(
            0,
            AssignmentInput {
                role: Some(BuiltinRole::Employee.id().to_owned()),
                tier: Some("account".into()),
                ..AssignmentInput::default()
            },
        );
    }
    match (text(&input.team), text(&input.team_role)) {
        (Some(team), Some(role)) => roles.push(AssignmentInput {
            role: Some(role),
            tier: Some("team".into()),
            team: Some(team),
            ..AssignmentInput::default()
        }),
        (None, None) => {}
        _ => errors.add("team", "Choose both a team and a role there, or neither."),
    }
    fields.user_roles = Some(roles);
    let caller = session.caller.clone();
    let created = session
        .state
        .db
        .write(move |conn| {
            service::users::create(
                conn,
                &caller,
                false,
                Parsed::new(NewUser::manual(fields), errors),
            )
        })
        .await;
    match created {
        Ok(detail) => Ok(see_other(&format!(
            "{ROOT}/people/{}?done=created",
            detail.user.id
        ))),
        Err(error) => {
            let messages = super::messages(
                error
                    .into_field_errors()
                    .map_err(Failure::from)?
                    .into_value(),
            );
            let mut template = build(&session, ListParams::default()).await?;
            if let Some(create) = template.create.as_mut() {
                create.name = input.name;
                create.email = input.email;
                create.errors = messages;
                for c in &mut create.account_roles {
                    c.selected = c.value == account_role;
                }
                for c in &mut create.teams {
                    c.selected = c.value == input.team;
                }
                for c in &mut create.team_roles {
                    c.selected = c.value == input.team_role;
                }
            }
            page_with_status(StatusCode::BAD_REQUEST, &template)
        }
    }
}
