//! The labels pages: the list (through `service::labels::list`), a new
//! label, and a label's page to rename (and recolour) or delete it,
//! through `service::labels::update` and `delete`, as `/labels/` does.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::db::labels::{LabelFilter, LabelOrderField, LabelOrdering};
use crate::domain::label::{COLOR_MAX, LabelColor, LabelName, NAME_MAX};
use crate::domain::role::Permission;
use crate::error::{Collect, FieldErrors};
use crate::service::labels::LabelInput;
use crate::service::{self, Parsed};

const FIELDS: [&str; 2] = ["name", "color"];

pub struct LabelItem {
    pub url: String,
    pub people: String,
    pub name: String,
    pub color: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<LabelItem>,
    pager: Pager,
    may_create: bool,
    notice: Option<&'static str>,
}

/// `GET /console/labels`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let filter = LabelFilter {
        search: params.search(),
    };
    let ordering = LabelOrdering {
        field: LabelOrderField::Name,
        descending: false,
    };
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::labels::list(conn, caller, Parsed::valid((filter, ordering)), request)
    })
    .await?;
    let template = LabelsPage {
        chrome: Chrome::of(&session, "labels"),
        pager: Pager::of(&listed, &params, "labels"),
        rows: listed
            .rows
            .into_iter()
            .map(|l| LabelItem {
                url: format!("{ROOT}/labels/{}", l.id),
                people: format!("{ROOT}/people?label={}", l.id),
                name: l.name,
                color: l.color,
                changed: org::when(l.changed),
            })
            .collect(),
        may_create: session.caller.has(Permission::LabelsManage),
        notice: org::notice(&params.done),
        params,
    };
    page(&template)
}

/// A label's fields as the form holds them.
#[derive(Default)]
pub struct LabelValues {
    pub name: String,
    pub color: String,
}

fn parse(form: &Form) -> (LabelValues, Parsed<LabelInput>) {
    let values = LabelValues {
        name: form.text("name").to_owned(),
        color: form.text("color").to_owned(),
    };
    let mut e = FieldErrors::new();
    let name = LabelName::parse(&values.name).collect(&mut e, "name");
    let color = LabelColor::parse(&values.color).collect(&mut e, "color");
    (values, Parsed::new(LabelInput { name, color }, e))
}

#[derive(Template)]
#[template(path = "label.html")]
struct LabelPage {
    chrome: Chrome,
    /// None: a new label.
    id: Option<String>,
    name: String,
    people: String,
    changed: String,
    values: LabelValues,
    errors: FormErrors,
    may_edit: bool,
    notice: Option<&'static str>,
    name_max: usize,
    color_max: usize,
}

impl LabelPage {
    fn new(session: &Session, values: LabelValues, errors: FormErrors) -> Self {
        Self {
            chrome: Chrome::of(session, "labels"),
            id: None,
            name: String::new(),
            people: String::new(),
            changed: String::new(),
            values,
            errors,
            may_edit: true,
            notice: None,
            name_max: NAME_MAX,
            color_max: COLOR_MAX,
        }
    }
}

/// `GET /console/labels/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    service::labels::authorize_create(&session.caller)?;
    page(&LabelPage::new(
        &session,
        LabelValues::default(),
        FormErrors::default(),
    ))
}

/// `POST /console/labels`
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let (values, input) = parse(&form);
    match write(&session, move |conn, caller| {
        service::labels::create(conn, caller, input)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("{ROOT}/labels?done=created"))),
        Err(error) => refused(&LabelPage::new(
            &session,
            values,
            FormErrors::of(error, &FIELDS)?,
        )),
    }
}

async fn label_page(
    session: &Session,
    id: String,
    values: Option<LabelValues>,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> Result<LabelPage, Failure> {
    let label_id = id.clone();
    let label = read(session, move |conn, caller| {
        service::labels::get(conn, caller, &label_id)
    })
    .await?;
    Ok(LabelPage {
        chrome: Chrome::of(session, "labels"),
        people: format!("{ROOT}/people?label={}", label.id),
        changed: format!("{} by {}", org::when(label.changed), label.changed_by_name),
        values: values.unwrap_or(LabelValues {
            name: label.name.clone(),
            color: label.color.clone(),
        }),
        name: label.name,
        id: Some(id),
        errors,
        may_edit: session.caller.has(Permission::LabelsManage),
        notice,
        name_max: NAME_MAX,
        color_max: COLOR_MAX,
    })
}

/// `GET /console/labels/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, Failure> {
    let notice = org::notice(&done.done);
    page(&label_page(&session, org::id(id), None, FormErrors::default(), notice).await?)
}

/// `POST /console/labels/{id}`: renames (and recolours) the label.
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let id = org::id(id);
    let (values, input) = parse(&form);
    let label = id.clone();
    match write(&session, move |conn, caller| {
        service::labels::update(conn, caller, &label, input)
    })
    .await
    {
        Ok(l) => Ok(see_other(&format!("{ROOT}/labels/{}?done=saved", l.id))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            refused(&label_page(&session, id, Some(values), errors, None).await?)
        }
    }
}

/// `POST /console/labels/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "labels",
        "deleted",
        service::labels::delete,
    )
    .await
}
