//! The people pages: the list (search, filters, sort, paging through
//! `service::users::list`, the REST list's function, so it is served by
//! the same indexes) and a person (through `service::users::get`), with
//! deactivate and reactivate posting through `service::users::update`.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::sign_in::form;
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::db::labels::{LabelFilter, LabelOrderField, LabelOrdering};
use crate::db::models::UserDetail;
use crate::db::roles::RoleOrderField;
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::PublicId;
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::user::State;
use crate::service::users::{UserField, UserPatch, UserQuery};
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
    state: String,
    #[serde(default)]
    mfa: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
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

fn state_of(user: &crate::db::models::UserRow) -> (&'static str, &'static str) {
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

fn membership_of(detail: &UserDetail) -> String {
    detail
        .roles
        .iter()
        .find(|r| r.tier == Tier::Account && BuiltinRole::by_name(&r.role_name).is_some())
        .map(|r| r.role_name.clone())
        .unwrap_or_default()
}

impl PersonRow {
    fn of(detail: &UserDetail) -> Self {
        let (state, state_class) = state_of(&detail.user);
        Self {
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
    states: Vec<Choice>,
    mfa: Vec<Choice>,
    columns: Vec<SortLink>,
    rows: Vec<PersonRow>,
    count: i64,
    page: i64,
    page_total: i64,
    previous: Option<String>,
    next: Option<String>,
}

/// What the filter menus offer, read with the caller's permissions.
struct Menus {
    labels: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    teams: Vec<(String, String)>,
}

/// `GET /console/people`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
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
            let menus = Menus {
                labels: labels.rows.into_iter().map(|l| (l.id, l.name)).collect(),
                roles: roles.rows.into_iter().map(|r| (r.id, r.name)).collect(),
                teams: teams.rows.into_iter().map(|t| (t.id, t.name)).collect(),
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
    let template = PeoplePage {
        chrome: Chrome::of(&session, "people"),
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
    page(&template)
}

/// A role assignment as the person page shows it.
pub struct Grant {
    pub role: String,
    /// The team or target it applies to (none at account tier).
    pub place: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    id: String,
    row: PersonRow,
    title: String,
    kind: String,
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
    may_manage: bool,
    notice: Option<&'static str>,
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
    let caller = session.caller.clone();
    let id = id.into_inner();
    let (detail, may_manage) = session
        .state
        .db
        .read(move |conn| {
            let detail = service::users::get(conn, &caller, &id, false)?;
            let may_manage = service::users::may_manage(conn, &caller, &detail)?;
            Ok((detail, may_manage))
        })
        .await?;
    let grants = |tier: Tier| -> Vec<Grant> {
        detail
            .roles
            .iter()
            .filter(|r| r.tier == tier)
            .map(|r| Grant {
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
    let additional_emails: Vec<String> =
        serde_json::from_str(&user.additional_email_addresses).unwrap_or_default();
    let template = PersonPage {
        chrome: Chrome::of(&session, "people"),
        id: user.id.clone(),
        row: PersonRow::of(&detail),
        title: user.title.as_str().to_owned(),
        kind: user
            .kind
            .map(|k| k.as_str().replace('_', " "))
            .unwrap_or_default(),
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
        may_manage,
        notice: match query.done.as_deref() {
            Some("deactivated") => Some("Deactivated: their sessions and keys have ended."),
            Some("reactivated") => Some("Reactivated."),
            _ => None,
        },
    };
    page(&template)
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
