//! The targets (scopes) pages: the list (through `service::targets::list`),
//! a new target, and a target with its teams and the people who hold a
//! role on it; edits and deletion post through `service::targets::update`
//! and `delete`, as `/targets/` does.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::auth::{Caller, Scope};
use crate::db::DbConnection;
use crate::db::targets::{TargetFilter, TargetOrdering};
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::role::Permission;
use crate::domain::target::{TargetName, TargetUrl, URL_MAX};
use crate::domain::team::NAME_MAX;
use crate::error::{Collect, Error, FieldErrors, Result};
use crate::service::targets::TargetInput;
use crate::service::users::UserQuery;
use crate::service::{self, PageRequest, Parsed};

const FIELDS: [&str; 3] = ["name", "url", "teams"];
/// Most teams a target's form offers.
const TEAMS_OFFERED: i64 = 100;
/// People shown on a target's page.
const HOLDERS_SHOWN: i64 = 100;

pub struct TargetItem {
    pub url: String,
    pub name: String,
    pub address: String,
    pub teams: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "targets.html")]
struct TargetsPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<TargetItem>,
    pager: Pager,
    may_create: bool,
    notice: Option<&'static str>,
}

/// The organization's teams (id, name), or none when the caller may not
/// read teams: the target pages then name no teams.
fn teams_of(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<(String, String)>> {
    match service::teams::list(
        conn,
        caller,
        Parsed::valid((TeamFilter::default(), TeamOrdering::default())),
        PageRequest::new(1, TEAMS_OFFERED),
    ) {
        Ok(teams) => Ok(teams.rows.into_iter().map(|t| (t.id, t.name)).collect()),
        Err(Error::Forbidden) => Ok(Vec::new()),
        Err(other) => Err(other),
    }
}

fn names(ids: &[String], teams: &[(String, String)]) -> String {
    ids.iter()
        .map(|id| {
            teams
                .iter()
                .find(|(t, _)| t == id)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /console/targets`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> std::result::Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let filter = TargetFilter {
        search: params.search(),
    };
    let request = params.request();
    let (listed, teams) = read(&session, move |conn, caller| {
        let listed = service::targets::list(
            conn,
            caller,
            Parsed::valid((filter, TargetOrdering::default())),
            request,
        )?;
        Ok((listed, teams_of(conn, caller)?))
    })
    .await?;
    let template = TargetsPage {
        chrome: Chrome::of(&session, "targets"),
        pager: Pager::of(&listed, &params, "targets"),
        rows: listed
            .rows
            .into_iter()
            .map(|t| TargetItem {
                url: format!("{ROOT}/targets/{}", t.target.id),
                teams: names(&t.teams, &teams),
                name: t.target.name,
                address: t.target.url,
                changed: org::when(t.target.changed),
            })
            .collect(),
        may_create: session.caller.has(Permission::TargetsManage),
        notice: org::notice(&params.done),
        params,
    };
    page(&template)
}

/// A team a target's form offers.
pub struct TeamChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// A target's writable fields as the form holds them.
#[derive(Default)]
pub struct TargetValues {
    pub name: String,
    pub url: String,
    pub teams: Vec<String>,
}

impl TargetValues {
    fn choices(&self, teams: &[(String, String)]) -> Vec<TeamChoice> {
        teams
            .iter()
            .map(|(id, name)| TeamChoice {
                checked: self.teams.contains(id),
                id: id.clone(),
                name: name.clone(),
            })
            .collect()
    }
}

/// The form's fields; its teams only when the form offered them
/// (`teams_offered`), so that an edit without them leaves the teams be.
fn parse(form: &Form) -> (TargetValues, Parsed<TargetInput>) {
    let values = TargetValues {
        name: form.text("name").to_owned(),
        url: form.text("url").trim().to_owned(),
        teams: form.all("teams"),
    };
    let mut e = FieldErrors::new();
    let name = TargetName::parse(&values.name).collect(&mut e, "name");
    let url = (!values.url.is_empty())
        .then(|| TargetUrl::parse(&values.url).collect(&mut e, "url"))
        .flatten();
    let teams = form.has("teams_offered").then(|| values.teams.clone());
    (values, Parsed::new(TargetInput { name, url, teams }, e))
}

#[derive(Template)]
#[template(path = "target_new.html")]
struct NewPage {
    chrome: Chrome,
    values: TargetValues,
    teams: Vec<TeamChoice>,
    errors: FormErrors,
    name_max: usize,
    url_max: usize,
}

async fn new_page(
    session: &Session,
    values: TargetValues,
    errors: FormErrors,
) -> std::result::Result<NewPage, Failure> {
    let teams = read(session, teams_of).await?;
    Ok(NewPage {
        chrome: Chrome::of(session, "targets"),
        teams: values.choices(&teams),
        values,
        errors,
        name_max: NAME_MAX,
        url_max: URL_MAX,
    })
}

/// `GET /console/targets/new`
pub async fn new(session: Session) -> std::result::Result<HttpResponse, Failure> {
    service::targets::authorize_create(&session.caller)?;
    page(&new_page(&session, TargetValues::default(), FormErrors::default()).await?)
}

/// `POST /console/targets`
pub async fn create(
    session: Session,
    body: web::Bytes,
) -> std::result::Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let (values, input) = parse(&form);
    match write(&session, move |conn, caller| {
        service::targets::create(conn, caller, input)
    })
    .await
    {
        Ok(t) => Ok(see_other(&format!(
            "{ROOT}/targets/{}?done=created",
            t.target.id
        ))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            refused(&new_page(&session, values, errors).await?)
        }
    }
}

/// Someone holding a role on the target.
pub struct HolderItem {
    pub url: String,
    pub name: String,
    pub email: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "target.html")]
struct TargetPage {
    chrome: Chrome,
    id: String,
    name: String,
    address: String,
    team_names: String,
    created: String,
    changed: String,
    changed_by: String,
    values: TargetValues,
    teams: Vec<TeamChoice>,
    errors: FormErrors,
    holders: Option<Vec<HolderItem>>,
    may_edit: bool,
    may_move: bool,
    may_delete: bool,
    notice: Option<&'static str>,
    name_max: usize,
    url_max: usize,
}

async fn target_page(
    session: &Session,
    id: String,
    values: Option<TargetValues>,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> std::result::Result<TargetPage, Failure> {
    let target_id = id.clone();
    let (detail, teams, holders) = read(session, move |conn, caller| {
        let detail = service::targets::get(conn, caller, &target_id)?;
        let teams = teams_of(conn, caller)?;
        let query = UserQuery {
            filter: UserFilter {
                targets: vec![detail.target.id.clone()],
                ..UserFilter::default()
            },
            ordering: UserOrdering {
                field: UserOrderField::Name,
                descending: false,
            },
            validate_ids: false,
        };
        let holders = match service::users::list(
            conn,
            caller,
            Parsed::valid(query),
            PageRequest::new(1, HOLDERS_SHOWN),
        ) {
            Ok(page) => Some(page.rows),
            Err(Error::Forbidden) => None,
            Err(other) => return Err(other),
        };
        Ok((detail, teams, holders))
    })
    .await?;
    let target = &detail.target;
    let scope = Scope::Target {
        id: &target.id,
        teams: &detail.teams,
    };
    let values = values.unwrap_or(TargetValues {
        name: target.name.clone(),
        url: target.url.clone(),
        teams: detail.teams.clone(),
    });
    Ok(TargetPage {
        chrome: Chrome::of(session, "targets"),
        may_edit: session.caller.can(Permission::TargetsManage, scope),
        may_move: session.caller.has(Permission::TargetsManage) && !teams.is_empty(),
        may_delete: session.caller.has(Permission::TargetsManage),
        holders: holders.map(|rows| {
            rows.iter()
                .map(|d| HolderItem {
                    url: format!("{ROOT}/people/{}", d.user.id),
                    name: d.user.name.clone(),
                    email: d.user.email.clone(),
                    roles: d
                        .roles
                        .iter()
                        .filter(|r| r.target_id.as_deref() == Some(target.id.as_str()))
                        .map(|r| r.role_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect()
        }),
        team_names: names(&detail.teams, &teams),
        teams: values.choices(&teams),
        values,
        errors,
        notice,
        name: target.name.clone(),
        address: target.url.clone(),
        created: org::when(target.created),
        changed: org::when(target.changed),
        changed_by: target.changed_by_name.clone(),
        id,
        name_max: NAME_MAX,
        url_max: URL_MAX,
    })
}

/// `GET /console/targets/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> std::result::Result<HttpResponse, Failure> {
    let notice = org::notice(&done.done);
    page(&target_page(&session, org::id(id), None, FormErrors::default(), notice).await?)
}

/// `POST /console/targets/{id}`: name, URL and (account tier) teams.
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> std::result::Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let (values, input) = parse(&form);
    let target = id.clone();
    match write(&session, move |conn, caller| {
        service::targets::update(conn, caller, &target, input)
    })
    .await
    {
        Ok(t) => Ok(see_other(&format!(
            "{ROOT}/targets/{}?done=saved",
            t.target.id
        ))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            refused(&target_page(&session, id, Some(values), errors, None).await?)
        }
    }
}

/// `POST /console/targets/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> std::result::Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "targets",
        "deleted",
        service::targets::delete,
    )
    .await
}
