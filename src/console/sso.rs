//! The single sign-on pages: the connections (`service::sso::list`), a
//! new one and an edit (OIDC or SAML, the fields `/sso/connections/`
//! takes), activate or deactivate, and delete, through
//! `service::sso::create`, `update` and `delete`. The form becomes the
//! JSON body the REST API reads and is parsed, checked (the issuer's
//! discovery document, the IdP's metadata URL) and written exactly as a
//! REST request would be. Stored secrets (the OIDC client secret, the SAML
//! signing key) are never shown: only whether one is set. Group mappings
//! are edited as text, one rule a line (`group = ROLE` or
//! `group = ROLE @ team id`), and sent as the REST body's `group_mapping`.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value, json};

use super::org::{self, Done, Form, FormErrors, ListParams, Pager, read, refused, write};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::db::roles::RoleOrderField;
use crate::domain::role::BuiltinRole;
use crate::domain::sso::{Enforcement, NameIdFormat, Protocol};
use crate::service::fields::Fields;
use crate::service::sso::{self as service, Connection, ConnectionInput, GroupMapping, saml};
use crate::service::{PageRequest, Parsed};

/// The fields the form shows messages beside.
const FIELDS: [&str; 18] = [
    "protocol",
    "name",
    "domains",
    "redirect_uri",
    "enforcement",
    "default_role",
    "group_mapping",
    "oidc.issuer",
    "oidc.client_id",
    "oidc.client_secret",
    "oidc.scopes",
    "oidc.claim_email",
    "oidc.claim_groups",
    "saml.idp_metadata_url",
    "saml.idp_metadata_xml",
    "saml.name_id_format",
    "saml.attribute_email",
    "saml.attribute_groups",
];
/// Roles a connection's default role is chosen from.
const ROLES_OFFERED: i64 = 100;

pub struct ConnectionItem {
    pub url: String,
    pub name: String,
    pub protocol: String,
    pub domains: String,
    pub enforcement: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "sso_connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    rows: Vec<ConnectionItem>,
    pager: Pager,
    notice: Option<&'static str>,
}

/// `GET /console/sso-connections`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::list(conn, caller, Parsed::valid(request))
    })
    .await?;
    let template = ConnectionsPage {
        chrome: Chrome::of(&session, "sso"),
        pager: Pager::of(&listed, &params, "sso-connections"),
        rows: listed
            .rows
            .into_iter()
            .map(|c| ConnectionItem {
                url: format!("{ROOT}/sso-connections/{}", c.row.id),
                protocol: c.row.protocol.to_uppercase(),
                domains: c.domains.join(", "),
                enforcement: c.row.enforcement,
                name: c.row.name,
                active: c.row.active,
            })
            .collect(),
        notice: org::notice(&params.done),
    };
    page(&template)
}

/// A connection's fields as the form holds them (never a secret).
#[derive(Default)]
pub struct ConnectionValues {
    pub protocol: String,
    pub name: String,
    pub domains: String,
    pub redirect_uri: String,
    pub enforcement: String,
    pub jit: bool,
    pub default_role: String,
    pub active: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub scopes: String,
    pub claim_email: String,
    pub claim_groups: String,
    pub idp_metadata_url: String,
    pub idp_metadata_xml: String,
    pub name_id_format: String,
    pub attribute_email: String,
    pub attribute_groups: String,
    pub sign_requests: bool,
    pub allow_idp_initiated: bool,
    /// The group mapping as the form's text holds it.
    pub group_mapping: String,
}

impl ConnectionValues {
    fn of(c: &Connection) -> Self {
        let mut values = Self {
            protocol: c.row.protocol.clone(),
            name: c.row.name.clone(),
            domains: c.domains.join(" "),
            redirect_uri: c.row.redirect_uri.clone(),
            enforcement: c.row.enforcement.clone(),
            jit: c.row.jit,
            default_role: c.row.default_role.clone(),
            active: c.row.active,
            group_mapping: mapping_text(&c.group_mapping()),
            ..Self::default()
        };
        if c.row.protocol == Protocol::Saml.as_str() {
            if let Ok(s) = c.saml() {
                values.idp_metadata_url = s.idp_metadata_url.unwrap_or_default();
                values.idp_metadata_xml = s.idp_metadata_xml;
                values.name_id_format = s.name_id_format.as_str().to_owned();
                values.attribute_email = s.attribute_email;
                values.attribute_groups = s.attribute_groups;
                values.sign_requests = s.sign_requests;
                values.allow_idp_initiated = s.allow_idp_initiated;
            }
        } else if let Ok(o) = c.oidc() {
            values.issuer = o.issuer;
            values.client_id = o.client_id;
            values.client_secret_set = c.row.secret.is_some();
            values.scopes = o.scopes.join(" ");
            values.claim_email = o.claim_email;
            values.claim_groups = o.claim_groups;
        }
        values
    }

    fn read(form: &Form) -> Self {
        let text = |name: &str| form.text(name).to_owned();
        Self {
            protocol: text("protocol"),
            name: text("name"),
            domains: text("domains"),
            redirect_uri: text("redirect_uri"),
            enforcement: text("enforcement"),
            jit: form.checked("jit"),
            default_role: text("default_role"),
            active: form.checked("active"),
            issuer: text("oidc.issuer"),
            client_id: text("oidc.client_id"),
            client_secret_set: false,
            scopes: text("oidc.scopes"),
            claim_email: text("oidc.claim_email"),
            claim_groups: text("oidc.claim_groups"),
            idp_metadata_url: text("saml.idp_metadata_url"),
            idp_metadata_xml: text("saml.idp_metadata_xml"),
            name_id_format: text("saml.name_id_format"),
            attribute_email: text("saml.attribute_email"),
            attribute_groups: text("saml.attribute_groups"),
            sign_requests: form.checked("saml.sign_requests"),
            allow_idp_initiated: form.checked("saml.allow_idp_initiated"),
            group_mapping: text("group_mapping"),
        }
    }
}

/// The stored rules as the form's text: a built-in role by its name, any
/// other by its id (as the REST API takes them).
fn mapping_text(rules: &[GroupMapping]) -> String {
    rules
        .iter()
        .map(|rule| {
            let role = BuiltinRole::by_id(&rule.role).map_or(rule.role.as_str(), |b| b.name());
            match &rule.team {
                Some(team) => format!("{} = {role} @ {team}", rule.group),
                None => format!("{} = {role}", rule.group),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The form's mapping text as the REST body's `group_mapping`: one rule a
/// non-blank line, `group = role` or `group = role @ team`; a line without
/// `=` is a rule without a role, which the service refuses by name.
fn mapping_body(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut rule = Map::new();
            let (group, rest) = line.split_once('=').unwrap_or((line, ""));
            rule.insert("group".into(), group.trim().into());
            let (role, team) = match rest.split_once('@') {
                Some((role, team)) => (role.trim(), Some(team.trim())),
                None => (rest.trim(), None),
            };
            if !role.is_empty() {
                rule.insert("role".into(), role.into());
            }
            if let Some(team) = team.filter(|t| !t.is_empty()) {
                rule.insert("team".into(), team.into());
            }
            Value::Object(rule)
        })
        .collect()
}

/// The JSON body a REST client would send for this form: blank text
/// fields are left out (on an edit: unchanged), lists are split on
/// commas and blanks, checkboxes are booleans.
fn body_of(form: &Form, protocol: Protocol, creating: bool) -> Map<String, Value> {
    fn put_text(map: &mut Map<String, Value>, key: &str, value: &str) {
        if !value.trim().is_empty() {
            map.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }
    fn words(value: &str) -> Vec<Value> {
        value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| Value::String(w.to_owned()))
            .collect()
    }
    let mut body = Map::new();
    if creating {
        body.insert("protocol".into(), protocol.as_str().into());
    }
    for key in ["name", "redirect_uri", "enforcement", "default_role"] {
        put_text(&mut body, key, form.text(key));
    }
    let domains = words(form.text("domains"));
    if creating || !domains.is_empty() {
        body.insert("domains".into(), Value::Array(domains));
    }
    body.insert(
        "group_mapping".into(),
        Value::Array(mapping_body(form.text("group_mapping"))),
    );
    body.insert("jit".into(), form.checked("jit").into());
    body.insert("active".into(), form.checked("active").into());
    let mut settings = Map::new();
    let prefix = protocol.as_str();
    let keys: &[&str] = match protocol {
        Protocol::Oidc => &[
            "issuer",
            "client_id",
            "client_secret",
            "claim_email",
            "claim_groups",
        ],
        Protocol::Saml => &[
            "idp_metadata_url",
            "idp_metadata_xml",
            "name_id_format",
            "attribute_email",
            "attribute_groups",
        ],
    };
    for key in keys {
        put_text(&mut settings, key, form.text(&format!("{prefix}.{key}")));
    }
    match protocol {
        Protocol::Oidc => {
            let scopes = words(form.text("oidc.scopes"));
            if !scopes.is_empty() {
                settings.insert("scopes".into(), Value::Array(scopes));
            }
        }
        Protocol::Saml => {
            // A new metadata document replaces the fetched one; the URL is
            // taken only when no document is pasted.
            if settings.contains_key("idp_metadata_xml") {
                settings.remove("idp_metadata_url");
            }
            for key in ["sign_requests", "allow_idp_initiated"] {
                settings.insert(key.into(), form.checked(&format!("saml.{key}")).into());
            }
        }
    }
    if creating || !settings.is_empty() {
        body.insert(prefix.into(), Value::Object(settings));
    }
    body
}

/// Parses the form as `/sso/connections/` parses its body, then fetches
/// what it names (discovery document, metadata URL), as REST does.
async fn parse(form: &Form, protocol: Protocol, creating: bool) -> Parsed<ConnectionInput> {
    let fields = Fields(body_of(form, protocol, creating));
    let mut input = service::parse_connection_input(&fields, creating);
    if input.errors.is_empty() {
        service::check_issuer(&mut input).await;
        service::fetch_saml_metadata(&mut input).await;
    }
    input
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(current: &str, items: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "sso_form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new connection.
    id: Option<String>,
    creating: bool,
    values: ConnectionValues,
    protocols: Vec<Choice>,
    enforcements: Vec<Choice>,
    roles: Vec<Choice>,
    formats: Vec<Choice>,
    errors: FormErrors,
}

async fn form_page(
    session: &Session,
    id: Option<String>,
    values: ConnectionValues,
    errors: FormErrors,
) -> Result<FormPage, Failure> {
    let roles = read(session, |conn, caller| {
        crate::service::roles::list(
            conn,
            caller,
            Parsed::valid((None, (RoleOrderField::Name, false))),
            PageRequest::new(1, ROLES_OFFERED),
        )
    })
    .await?;
    Ok(FormPage {
        chrome: Chrome::of(session, "sso"),
        creating: id.is_none(),
        id,
        protocols: choices(
            &values.protocol,
            [("oidc", "OpenID Connect"), ("saml", "SAML 2.0")]
                .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
        enforcements: choices(
            &values.enforcement,
            Enforcement::ALL.map(|e| (e.as_str().to_owned(), e.as_str().to_owned())),
        ),
        roles: choices(
            &values.default_role,
            roles.rows.into_iter().map(|r| (r.id, r.name)),
        ),
        formats: choices(
            &values.name_id_format,
            NameIdFormat::ALL.map(|f| (f.as_str().to_owned(), f.as_str().replace('_', " "))),
        ),
        values,
        errors,
    })
}

/// `GET /console/sso-connections/new`
pub async fn new(session: Session) -> Result<HttpResponse, Failure> {
    service::authorize_manage(&session.caller)?;
    let values = ConnectionValues {
        protocol: Protocol::Oidc.as_str().into(),
        enforcement: Enforcement::Optional.as_str().into(),
        active: true,
        name_id_format: NameIdFormat::Persistent.as_str().into(),
        // The service's default: never a more powerful role unasked.
        default_role: BuiltinRole::Employee.id().into(),
        redirect_uri: format!("{}{ROOT}/sso", session.state.public_url),
        ..ConnectionValues::default()
    };
    page(&form_page(&session, None, values, FormErrors::default()).await?)
}

/// `POST /console/sso-connections`
pub async fn create(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    service::authorize_manage(&session.caller)?;
    let protocol = Protocol::parse(form.text("protocol")).unwrap_or(Protocol::Oidc);
    let input = parse(&form, protocol, true).await;
    let secrets = session.state.secrets.clone();
    match write(&session, move |conn, caller| {
        service::create(conn, caller, &secrets, input)
    })
    .await
    {
        Ok(c) => Ok(see_other(&format!(
            "{ROOT}/sso-connections/{}?done=created",
            c.row.id
        ))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            let values = ConnectionValues::read(&form);
            refused(&form_page(&session, None, values, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "sso_connection.html")]
struct ConnectionPage {
    chrome: Chrome,
    id: String,
    values: ConnectionValues,
    saml: bool,
    secret_set: bool,
    default_role: String,
    group_rules: usize,
    sp_entity_id: String,
    sp_acs_url: String,
    changed: String,
    notice: Option<&'static str>,
}

/// `GET /console/sso-connections/{id}`
pub async fn show(
    session: Session,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, Failure> {
    let id = org::id(id);
    let connection_id = id.clone();
    let (connection, role) = read(&session, move |conn, caller| {
        let connection = service::get(conn, caller, &connection_id)?;
        let role = crate::service::roles::get(conn, caller, &connection.row.default_role)
            .map(|r| r.name)
            .unwrap_or_else(|_| connection.row.default_role.clone());
        Ok((connection, role))
    })
    .await?;
    let public_url = &session.state.public_url;
    let saml = connection.row.protocol == Protocol::Saml.as_str();
    let template = ConnectionPage {
        chrome: Chrome::of(&session, "sso"),
        values: ConnectionValues::of(&connection),
        saml,
        secret_set: connection.row.secret.is_some(),
        default_role: role,
        group_rules: connection.group_mapping().len(),
        sp_entity_id: saml::entity_id(public_url, &connection.row.id),
        sp_acs_url: saml::acs_url(public_url),
        changed: format!(
            "{} by {}",
            org::when(connection.row.changed),
            connection.row.changed_by_name
        ),
        notice: match done.done.as_str() {
            "activated" => Some("Active: people of its domains may sign in through it."),
            "deactivated" => Some("Inactive: no one signs in through it."),
            other => org::notice(other),
        },
        id,
    };
    page(&template)
}

/// `GET /console/sso-connections/{id}/edit`
pub async fn edit(session: Session, id: web::Path<String>) -> Result<HttpResponse, Failure> {
    let id = org::id(id);
    let connection_id = id.clone();
    let connection = read(&session, move |conn, caller| {
        service::get(conn, caller, &connection_id)
    })
    .await?;
    let values = ConnectionValues::of(&connection);
    page(&form_page(&session, Some(id), values, FormErrors::default()).await?)
}

/// `POST /console/sso-connections/{id}`
pub async fn update(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    service::authorize_manage(&session.caller)?;
    let id = org::id(id);
    let connection_id = id.clone();
    let current = read(&session, move |conn, caller| {
        service::get(conn, caller, &connection_id)
    })
    .await?;
    let protocol = current.protocol()?;
    let input = parse(&form, protocol, false).await;
    let secrets = session.state.secrets.clone();
    let connection_id = id.clone();
    match write(&session, move |conn, caller| {
        service::update(conn, caller, &secrets, &connection_id, input)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{ROOT}/sso-connections/{id}?done=saved"
        ))),
        Err(error) => {
            let errors = FormErrors::of(error, &FIELDS)?;
            let mut values = ConnectionValues::read(&form);
            values.protocol = protocol.as_str().into();
            values.client_secret_set = current.row.secret.is_some();
            refused(&form_page(&session, Some(id), values, errors).await?)
        }
    }
}

/// `POST /console/sso-connections/{id}/active`: `active=true` or `false`.
pub async fn set_active(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let active = form.text("active") == "true";
    let fields = Fields(match json!({ "active": active }) {
        Value::Object(map) => map,
        _ => Map::new(),
    });
    let input = service::parse_connection_input(&fields, false);
    let id = org::id(id);
    let secrets = session.state.secrets.clone();
    let connection_id = id.clone();
    write(&session, move |conn, caller| {
        service::update(conn, caller, &secrets, &connection_id, input)
    })
    .await?;
    let done = if active { "activated" } else { "deactivated" };
    Ok(see_other(&format!(
        "{ROOT}/sso-connections/{id}?done={done}"
    )))
}

/// `POST /console/sso-connections/{id}/delete`
pub async fn delete(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "sso-connections",
        "deleted",
        service::delete,
    )
    .await
}
