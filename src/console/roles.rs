//! The roles pages: built-in and custom roles with their permissions
//! (through `service::roles::list`), and a custom role's form, its
//! permissions as checkboxes each saying what it grants
//! (`Permission::description`, the text `/permissions/` serves); writes go
//! through `service::roles::create`, `update` and `delete`, as `/roles/`
//! does. A permission the caller does not hold is shown but not offered:
//! the service refuses to put it into a role anyway.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::auth::Caller;
use crate::db::models::RoleRow;
use crate::db::roles::RoleOrderField;
use crate::domain::role::{self, Permission, ROLE_DESCRIPTION_MAX, ROLE_NAME_MAX, RoleName};
use crate::error::{Collect, FieldErrors};
use crate::service::roles::RoleInput;
use crate::service::{self, Parsed};

const FIELDS: [&str; 3] = ["name", "description", "permissions"];

pub struct RoleItem {
    pub url: String,
    pub name: String,
    pub builtin: bool,
    pub description: String,
    pub permissions: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<RoleItem>,
    pager: Pager,
    may_create: bool,
    notice: Option<&'static str>,
}

/// `GET /console/roles`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let search = params.search();
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::roles::list(
            conn,
            caller,
            Parsed::valid((search, (RoleOrderField::Name, false))),
            request,
        )
    })
    .await?;
    let template = RolesPage {
        chrome: Chrome::of(&session, "roles"),
        pager: Pager::of(&listed, &params, "roles"),
        rows: listed
            .rows
            .into_iter()
            .map(|r| RoleItem {
                url: format!("{ROOT}/roles/{}", r.id),
                permissions: r.permissions.iter().map(Permission::as_str).collect(),
                name: r.name,
                builtin: r.builtin,
                description: r.description,
            })
            .collect(),
        may_create: session.caller.has(Permission::RolesManage),
        notice: org::notice(&params.done),
        params,
    };
    page(&template)
}

/// A permission as a role's form shows it.
pub struct PermissionChoice {
    pub name: &'static str,
    pub description: &'static str,
    pub checked: bool,
    /// Whether the caller may put it into a role (holds it; not reserved).
    pub offered: bool,
}

/// A role's fields as the form holds them.
#[derive(Default)]
pub struct RoleValues {
    pub name: String,
    pub description: String,
    pub permissions: BTreeSet<String>,
}

impl RoleValues {
    fn of(role: &RoleRow) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            permissions: role.permissions.iter().map(|p| p.as_str().into()).collect(),
        }
    }

    fn choices(&self, caller: &Caller, builtin: bool) -> Vec<PermissionChoice> {
        Permission::ALL
            .into_iter()
            .filter(|p| builtin || !p.reserved())
            .map(|p| PermissionChoice {
                name: p.as_str(),
                description: p.description(),
                checked: self.permissions.contains(p.as_str()),
                offered: !builtin && caller.has(p),
            })
            .collect()
    }
}

fn parse(form: &Form) -> (RoleValues, Parsed<RoleInput>) {
    let values = RoleValues {
        name: form.text("name").to_owned(),
        description: form.text("description").to_owned(),
        permissions: form.all("permissions").into_iter().collect(),
    };
    let mut e = FieldErrors::new();
    let name = RoleName::parse(&values.name).collect(&mut e, "name");
    let description = role::parse_description(&values.description).collect(&mut e, "description");
    let names: Vec<String> = values.permissions.iter().cloned().collect();
    let permissions = match role::parse_custom_permissions(&names) {
        Ok(set) => Some(set),
        Err(messages) => {
            messages.into_iter().for_each(|m| e.add("permissions", m));
            None
        }
    };
    let input = RoleInput {
        name,
        description,
        permissions,
        max_duration: None,
    };
    (values, Parsed::new(input, e))
}

#[derive(Template)]
#[template(path = "role.html")]
struct RolePage {
    chrome: Chrome,
    /// None: a new role.
    id: Option<String>,
    name: String,
    builtin: bool,
    values: RoleValues,
    permissions: Vec<PermissionChoice>,
    errors: FormErrors,
    may_edit: bool,
    notice: Option<&'static str>,
    name_max: usize,
    description_max: usize,
}

impl RolePage {
    fn new(session: &Session, values: RoleValues, errors: FormErrors) -> Self {
        Self {
            chrome: Chrome::of(session, "roles"),
            id: None,
            name: String::new(),
            builtin: false,
            permissions: values.choices(&session.caller, false),
            values,
            errors,
            may_edit: true,
            notice: None,
            name_max: ROLE_NAME_MAX,
            description_max: ROLE_DESCRIPTION_MAX,
        }
    }
}

/// `GET /console/roles/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    service::roles::authorize_create(&session.caller)?;
    page(&RolePage::new(
        &session,
        RoleValues::default(),
        FormErrors::default(),
    ))
}

/// `POST /console/roles`
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let (values, input) = parse(&form);
    match write(&session, move |conn, caller| {
        service::roles::create(conn, caller, input)
    })
    .await
    {
        Ok(r) => Ok(see_other(&format!("{ROOT}/roles/{}?done=created", r.id))),
        Err(error) => refused(&RolePage::new(
            &session,
            values,
            FormErrors::of(error, &FIELDS)?,
        )),
    }
}

async fn role_page(
    session: &Session,
    id: String,
    values: Option<RoleValues>,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> Result<RolePage, Failure> {
    let role_id = id.clone();
    let role = read(session, move |conn, caller| {
        service::roles::get(conn, caller, &role_id)
    })
    .await?;
    let values = values.unwrap_or_else(|| RoleValues::of(&role));
    let may_edit = !role.builtin && session.caller.has(Permission::RolesManage);
    Ok(RolePage {
        chrome: Chrome::of(session, "roles"),
        permissions: values.choices(&session.caller, !may_edit),
        values,
        name: role.name,
        builtin: role.builtin,
        id: Some(id),
        errors,
        may_edit,
        notice,
        name_max: ROLE_NAME_MAX,
        description_max: ROLE_DESCRIPTION_MAX,
    })
}

/// `GET /console/roles/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, Failure> {
    let notice = org::notice(&done.done);
    page(&role_page(&session, org::id(id), None, FormErrors::default(), notice).await?)
}

/// `POST /console/roles/{id}`: name, description and permissions.
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let (values, input) = parse(&form);
    let role = id.clone();
    match write(&session, move |conn, caller| {
        service::roles::update(conn, caller, &role, input)
    })
    .await
    {
        Ok(r) => Ok(see_other(&format!("{ROOT}/roles/{}?done=saved", r.id))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            refused(&role_page(&session, id, Some(values), errors, None).await?)
        }
    }
}

/// `POST /console/roles/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    Form::read(&session, &body)?;
    let id = org::id(id);
    let role = id.clone();
    match write(&session, move |conn, caller| {
        service::roles::delete(conn, caller, &role)
    })
    .await
    {
        Ok(()) => Ok(see_other(&format!("{ROOT}/roles?done=deleted"))),
        // Still held by someone: said on the role's page.
        Err(error) => {
            let errors = FormErrors::of(error, &[])?;
            refused(&role_page(&session, id, None, errors, None).await?)
        }
    }
}
