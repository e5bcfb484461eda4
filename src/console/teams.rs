//! The teams pages: the list (through `service::teams::list`, with each
//! team's member count from `service::teams::member_counts`, one query per page), a new team, and a
//! team with its members and the roles they hold there; rename and delete
//! post through `service::teams::update` and `delete`, as `/teams/` does.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::auth::Scope;
use crate::db::models::UserDetail;
use crate::db::teams::{TeamFilter, TeamOrdering};
use crate::db::users::{UserFilter, UserOrderField, UserOrdering};
use crate::domain::role::Permission;
use crate::domain::team::{self as domain, Description, TeamName};
use crate::error::{Collect, FieldErrors};
use crate::service::teams::TeamInput;
use crate::service::users::UserQuery;
use crate::service::{self, PageRequest, Parsed};

const FIELDS: [&str; 2] = ["name", "description"];

pub struct TeamItem {
    pub url: String,
    pub name: String,
    pub description: String,
    pub members: i64,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<TeamItem>,
    pager: Pager,
    may_create: bool,
    notice: Option<&'static str>,
}

/// `GET /console/teams`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let filter = TeamFilter {
        search: params.search(),
        ..TeamFilter::default()
    };
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        let listed = service::teams::list(
            conn,
            caller,
            Parsed::valid((filter, TeamOrdering::default())),
            request,
        )?;
        let counts = service::teams::member_counts(conn, caller, &listed.rows)?;
        Ok((listed, counts))
    })
    .await?;
    let (listed, counts) = listed;
    let template = TeamsPage {
        chrome: Chrome::of(&session, "teams"),
        pager: Pager::of(&listed, &params, "teams"),
        rows: listed
            .rows
            .into_iter()
            .zip(counts)
            .map(|(t, members)| TeamItem {
                url: format!("{ROOT}/teams/{}", t.id),
                name: t.name,
                description: t.description,
                members,
                changed: org::when(t.changed),
            })
            .collect(),
        may_create: session.caller.has(Permission::TeamsManage),
        notice: org::notice(&params.done),
        params,
    };
    page(&template)
}

/// A team's writable fields as the form holds them.
#[derive(Default)]
pub struct TeamValues {
    pub name: String,
    pub description: String,
}

fn parse(form: &Form) -> (TeamValues, Parsed<TeamInput>) {
    let values = TeamValues {
        name: form.text("name").to_owned(),
        description: form.text("description").to_owned(),
    };
    let mut e = FieldErrors::new();
    let name = TeamName::parse(&values.name).collect(&mut e, "name");
    let description = Description::parse(&values.description).collect(&mut e, "description");
    let input = TeamInput {
        name,
        description,
        external_id: None,
    };
    (values, Parsed::new(input, e))
}

#[derive(Template)]
#[template(path = "team_new.html")]
struct NewPage {
    chrome: Chrome,
    values: TeamValues,
    errors: FormErrors,
    name_max: usize,
    description_max: usize,
}

/// `GET /console/teams/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    service::teams::authorize_create(&session.caller)?;
    page(&NewPage {
        chrome: Chrome::of(&session, "teams"),
        values: TeamValues::default(),
        errors: FormErrors::default(),
        name_max: domain::NAME_MAX,
        description_max: domain::DESCRIPTION_MAX,
    })
}

/// `POST /console/teams`
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let (values, input) = parse(&form);
    match write(&session, move |conn, caller| {
        service::teams::create(conn, caller, input)
    })
    .await
    {
        Ok(team) => Ok(see_other(&format!("{ROOT}/teams/{}?done=created", team.id))),
        Err(error) => refused(&NewPage {
            chrome: Chrome::of(&session, "teams"),
            values,
            errors: FormErrors::of(error, &FIELDS)?,
            name_max: domain::NAME_MAX,
            description_max: domain::DESCRIPTION_MAX,
        }),
    }
}

/// A member of the team and the roles they hold there.
pub struct MemberItem {
    pub url: String,
    pub name: String,
    pub email: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    chrome: Chrome,
    id: String,
    name: String,
    created: String,
    changed: String,
    changed_by: String,
    values: TeamValues,
    errors: FormErrors,
    members: Vec<MemberItem>,
    member_count: i64,
    may_edit: bool,
    may_delete: bool,
    notice: Option<&'static str>,
    name_max: usize,
    description_max: usize,
}

/// Members shown on a team's page (the people page lists them all).
const MEMBERS_SHOWN: i64 = 100;

async fn team_page(
    session: &Session,
    id: String,
    values: Option<TeamValues>,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> Result<TeamPage, Failure> {
    let team_id = id.clone();
    let (team, members) = read(session, move |conn, caller| {
        let team = service::teams::get(conn, caller, &team_id)?;
        let query = UserQuery {
            filter: UserFilter {
                teams: vec![team.id.clone()],
                ..UserFilter::default()
            },
            ordering: UserOrdering {
                field: UserOrderField::Name,
                descending: false,
            },
            validate_ids: false,
        };
        let members = service::users::list(
            conn,
            caller,
            Parsed::valid(query),
            PageRequest::new(1, MEMBERS_SHOWN),
        )?;
        Ok((team, members))
    })
    .await?;
    let roles_here = |detail: &UserDetail| -> String {
        detail
            .roles
            .iter()
            .filter(|r| r.team_id.as_deref() == Some(team.id.as_str()))
            .map(|r| r.role_name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(TeamPage {
        chrome: Chrome::of(session, "teams"),
        may_edit: session
            .caller
            .can(Permission::TeamsManage, Scope::Team(&team.id)),
        may_delete: session.caller.has(Permission::TeamsManage),
        members: members
            .rows
            .iter()
            .map(|d| MemberItem {
                url: format!("{ROOT}/people/{}", d.user.id),
                name: d.user.name.clone(),
                email: d.user.email.clone(),
                roles: roles_here(d),
            })
            .collect(),
        member_count: members.count,
        values: values.unwrap_or(TeamValues {
            name: team.name.clone(),
            description: team.description.clone(),
        }),
        errors,
        notice,
        created: org::when(team.created),
        changed: org::when(team.changed),
        changed_by: team.changed_by_name.clone(),
        name: team.name,
        id,
        name_max: domain::NAME_MAX,
        description_max: domain::DESCRIPTION_MAX,
    })
}

/// `GET /console/teams/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, Failure> {
    let template = team_page(
        &session,
        org::id(id),
        None,
        FormErrors::default(),
        org::notice(&done.done),
    )
    .await?;
    page(&template)
}

/// `POST /console/teams/{id}`: renames (and describes) the team.
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let (values, input) = parse(&form);
    let team = id.clone();
    match write(&session, move |conn, caller| {
        service::teams::update(conn, caller, &team, input)
    })
    .await
    {
        Ok(team) => Ok(see_other(&format!("{ROOT}/teams/{}?done=saved", team.id))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            refused(&team_page(&session, id, Some(values), errors, None).await?)
        }
    }
}

/// `POST /console/teams/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "teams",
        "deleted",
        service::teams::delete,
    )
    .await
}
