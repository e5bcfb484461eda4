//! Single sign-on: the connections of an organization (here), and signing
//! in through them (`login`, with the protocols in `oidc` and `saml`).
//!
//! A connection's shared fields are columns; what belongs to its protocol
//! is one JSON object (`settings`) and one sealed secret (the OIDC client
//! secret, or the SAML service provider's private key).

pub mod input;
pub mod login;
pub mod oidc;
pub mod saml;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::crypto::SecretBox;
use crate::db::DbConnection;
use crate::db::secrets::sso_secret;
use crate::db::sso::{self as rows, ConnectionChanges, ConnectionRow};
use crate::db::users as user_rows;
use crate::domain::audit::AuditAction;
use crate::domain::role::{BuiltinRole, Permission, Tier};
use crate::domain::sso::{EmailDomain, Enforcement, Protocol};
use crate::domain::user_roles::Assignment;
use crate::domain::{PublicId, time};
use crate::error::{Error, FieldErrors, Result, does_not_exist};
use crate::service::{Page, PageRequest, Parsed, audit, users};

pub use input::{check_issuer, fetch_saml_metadata, parse_connection_input};
pub use oidc::OidcSettings;
pub use saml::{SamlInput, SamlSettings};

pub const DOMAIN_TAKEN: &str = "Another single sign-on connection already uses this domain.";
pub const NOT_A_MEMBERSHIP_ROLE: &str =
    "Must be a membership role: OWNER, ADMIN, EMPLOYEE, VIEWER or AUDITOR.";
pub const NOT_AT_TEAM: &str = "This role cannot be granted at a team.";
pub const NOT_THIS_PROTOCOL: &str = "This connection speaks another protocol.";

/// One rule of a connection's group mapping: members of the provider's
/// `group` get `role`, at `team` when given, else as their membership role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMapping {
    pub group: String,
    /// A role id.
    pub role: String,
    pub team: Option<String>,
}

/// A group mapping rule as a client wrote it (its role by id or built-in name).
#[derive(Clone, Debug, Default)]
pub struct MappingInput {
    pub group: String,
    pub role: String,
    pub team: Option<String>,
}

/// The OIDC settings as a client wrote them; `None` leaves a field unchanged.
#[derive(Clone, Default)]
pub struct OidcInput {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Write-only; never shown, never logged.
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub claim_email: Option<String>,
    pub claim_groups: Option<String>,
}

impl std::fmt::Debug for OidcInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcInput")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("claim_email", &self.claim_email)
            .field("claim_groups", &self.claim_groups)
            .finish()
    }
}

/// Parsed connection fields; `None` leaves a field unchanged. On create,
/// the interface reports missing required fields among its field errors.
#[derive(Clone, Debug, Default)]
pub struct ConnectionInput {
    pub protocol: Option<Protocol>,
    pub name: Option<String>,
    pub domains: Option<Vec<EmailDomain>>,
    pub enforcement: Option<Enforcement>,
    pub jit: Option<bool>,
    pub default_role: Option<String>,
    pub group_mapping: Option<Vec<MappingInput>>,
    pub active: Option<bool>,
    pub redirect_uri: Option<String>,
    pub oidc: Option<OidcInput>,
    pub saml: Option<SamlInput>,
}

/// A connection with its domains, as the service answers it.
#[derive(Clone)]
pub struct Connection {
    pub row: ConnectionRow,
    pub domains: Vec<String>,
}

impl Connection {
    pub fn protocol(&self) -> Result<Protocol> {
        Protocol::parse(&self.row.protocol).map_err(|_| {
            Error::internal(anyhow::anyhow!(
                "unknown stored protocol {:?}",
                self.row.protocol
            ))
        })
    }

    pub fn enforcement(&self) -> Enforcement {
        // Fails closed: an unknown value enforces.
        Enforcement::parse(&self.row.enforcement).unwrap_or(Enforcement::Required)
    }

    pub fn group_mapping(&self) -> Vec<GroupMapping> {
        serde_json::from_str(&self.row.group_mapping).unwrap_or_default()
    }

    pub fn oidc(&self) -> Result<OidcSettings> {
        serde_json::from_str(&self.row.settings).map_err(Error::internal)
    }

    pub fn saml(&self) -> Result<SamlSettings> {
        serde_json::from_str(&self.row.settings).map_err(Error::internal)
    }
}

fn snapshot(c: &Connection) -> audit::Changes {
    let mut settings: Value = serde_json::from_str(&c.row.settings).unwrap_or(Value::Null);
    // The documents are long: the trail keeps a digest of the IdP's
    // metadata, and the SP certificate's change shows as a new digest too.
    if let Some(map) = settings.as_object_mut() {
        for key in ["idp_metadata_xml", "sp_certificate"] {
            if let Some(Value::String(doc)) = map.remove(key) {
                map.insert(format!("{key}_sha256"), saml::metadata_digest(&doc).into());
            }
        }
    }
    let protocol_key = if c.row.protocol == Protocol::Saml.as_str() {
        "saml"
    } else {
        "oidc"
    };
    match json!({
        "protocol": c.row.protocol,
        "name": c.row.name,
        "domains": c.domains,
        "enforcement": c.row.enforcement,
        "jit": c.row.jit,
        "default_role": c.row.default_role,
        "group_mapping": serde_json::from_str::<Value>(&c.row.group_mapping).unwrap_or(Value::Null),
        "active": c.row.active,
        "redirect_uri": c.row.redirect_uri,
        protocol_key: settings,
    }) {
        Value::Object(map) => map,
        _ => audit::Changes::new(),
    }
}

fn with_domains(conn: &mut DbConnection, row: ConnectionRow) -> Result<Connection> {
    let domains = rows::domains_of(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    Ok(Connection { row, domains })
}

fn find(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Connection> {
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    let row =
        rows::find_in_org(conn, caller.organization_id(), id.as_str())?.ok_or(Error::NotFound)?;
    with_domains(conn, row)
}

/// 403 unless the caller may manage connections: asked before a body is
/// read or an issuer is fetched.
pub fn authorize_manage(caller: &Caller) -> Result<()> {
    caller.require(Permission::SsoManage)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Connection> {
    caller.require(Permission::SsoManage)?;
    find(conn, caller, id)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    page: Parsed<PageRequest>,
) -> Result<Page<Connection>> {
    caller.require(Permission::SsoManage)?;
    let page = page.into_result()?;
    let org = caller.organization_id().to_owned();
    let loaded = Page::load(
        conn,
        page,
        |c| rows::count(c, &org),
        |c, offset, limit| Ok(rows::page(c, &org, offset, limit)?),
    )?;
    let ids: Vec<String> = loaded.rows.iter().map(|r| r.id.clone()).collect();
    let domains = rows::domains_of(conn, &ids)?;
    Ok(Page {
        count: loaded.count,
        page_total: loaded.page_total,
        request: loaded.request,
        rows: loaded
            .rows
            .into_iter()
            .map(|row| Connection {
                domains: domains
                    .iter()
                    .filter(|(c, _)| *c == row.id)
                    .map(|(_, d)| d.clone())
                    .collect(),
                row,
            })
            .collect(),
    })
}

/// Resolves a role reference and checks the caller could grant it where
/// the connection would (no escalation through a connection).
fn grantable(
    conn: &mut DbConnection,
    caller: &Caller,
    raw: &str,
    team: Option<&str>,
    field: &str,
    errors: &mut FieldErrors,
) -> Result<Option<Assignment>> {
    let Some(role) = users::resolve_role(conn, caller.organization_id(), raw)? else {
        errors.add(field, does_not_exist(raw));
        return Ok(None);
    };
    let assignment = match team {
        None => {
            if !role.builtin.is_some_and(BuiltinRole::is_membership) {
                errors.add(field, NOT_A_MEMBERSHIP_ROLE);
                return Ok(None);
            }
            Assignment {
                role,
                tier: Tier::Account,
                team: None,
                target: None,
                starts: None,
                expires: None,
            }
        }
        Some(team) => {
            if role.builtin.is_some_and(BuiltinRole::account_tier_only) {
                errors.add(field, NOT_AT_TEAM);
                return Ok(None);
            }
            Assignment {
                role,
                tier: Tier::Team,
                team: Some(team.to_owned()),
                target: None,
                starts: None,
                expires: None,
            }
        }
    };
    users::authorize_grant(conn, caller, &assignment)?;
    Ok(Some(assignment))
}

/// Resolves the roles of `default_role` and `group_mapping` (ids stored).
fn resolve_roles(
    conn: &mut DbConnection,
    caller: &Caller,
    value: &ConnectionInput,
    errors: &mut FieldErrors,
) -> Result<(Option<String>, Option<Vec<GroupMapping>>)> {
    let default_role = match &value.default_role {
        Some(raw) => grantable(conn, caller, raw, None, "default_role", errors)?.map(|a| a.role.id),
        None => None,
    };
    let group_mapping = match &value.group_mapping {
        None => None,
        Some(items) => {
            let mut resolved = Vec::with_capacity(items.len());
            let mut item_errors = Vec::with_capacity(items.len());
            for item in items {
                let mut e = FieldErrors::new();
                let team = match item.team.as_deref() {
                    Some(raw) => match PublicId::parse(raw) {
                        Some(id)
                            if user_rows::team_in_org(
                                conn,
                                caller.organization_id(),
                                id.as_str(),
                            )? =>
                        {
                            Some(id.into_string())
                        }
                        _ => {
                            e.add("team", does_not_exist(raw));
                            None
                        }
                    },
                    None => None,
                };
                if e.is_empty()
                    && let Some(a) =
                        grantable(conn, caller, &item.role, team.as_deref(), "role", &mut e)?
                {
                    resolved.push(GroupMapping {
                        group: item.group.clone(),
                        role: a.role.id,
                        team,
                    });
                }
                item_errors.push(e.into_value());
            }
            if item_errors
                .iter()
                .any(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            {
                errors.set("group_mapping", Value::Array(item_errors));
                None
            } else {
                Some(resolved)
            }
        }
    };
    Ok((default_role, group_mapping))
}

fn check_domains(
    conn: &mut DbConnection,
    connection_id: &str,
    domains: &[EmailDomain],
    errors: &mut FieldErrors,
) -> Result<()> {
    let names: Vec<String> = domains.iter().map(|d| d.as_str().to_owned()).collect();
    if !rows::domains_taken(conn, connection_id, &names)?.is_empty() {
        errors.add("domains", DOMAIN_TAKEN);
    }
    Ok(())
}

/// Creates a connection. The interface has fetched and checked the
/// issuer's discovery document (`oidc::discover`) and reported a bad one
/// under `oidc.issuer` among the input's errors.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    input: Parsed<ConnectionInput>,
) -> Result<Connection> {
    caller.require(Permission::SsoManage)?;
    let Parsed { value, mut errors } = input;
    let id = PublicId::random().into_string();
    let (default_role, group_mapping) = resolve_roles(conn, caller, &value, &mut errors)?;
    if let Some(domains) = &value.domains {
        check_domains(conn, &id, domains, &mut errors)?;
    }
    let protocol = value.protocol.unwrap_or(Protocol::Oidc);
    let (settings, secret) = match protocol {
        Protocol::Oidc => {
            errors.into_result()?;
            let oidc = value.oidc.expect("required");
            let settings =
                serde_json::to_string(&OidcSettings::from_input(&oidc)).map_err(Error::internal)?;
            let secret = oidc
                .client_secret
                .as_deref()
                .map(|s| secrets.seal(s, sso_secret(&id)));
            (settings, secret)
        }
        Protocol::Saml => {
            let input = value.saml.clone().unwrap_or_default();
            let metadata = input
                .idp_metadata_xml
                .as_deref()
                .map(saml::parse_idp_metadata);
            let metadata = match metadata {
                Some(Ok(metadata)) => Some(metadata),
                Some(Err(message)) => {
                    errors.nested("saml", "idp_metadata_xml", message);
                    None
                }
                None => {
                    errors.nested("saml", "idp_metadata_xml", crate::error::REQUIRED);
                    None
                }
            };
            errors.into_result()?;
            let metadata = metadata.expect("checked");
            let (key, certificate) = saml::generate_key(&id)?;
            let settings = SamlSettings::new(&input, &metadata, certificate)
                .map_err(|m| Error::field("saml", m))?;
            (
                serde_json::to_string(&settings).map_err(Error::internal)?,
                Some(secrets.seal(&key, sso_secret(&id))),
            )
        }
    };
    let now = time::now();
    let actor = caller.actor();
    let row = ConnectionRow {
        organization_id: caller.organization_id().to_owned(),
        protocol: protocol.as_str().to_owned(),
        name: value.name.expect("required"),
        enforcement: value
            .enforcement
            .unwrap_or(Enforcement::Optional)
            .as_str()
            .to_owned(),
        jit: value.jit.unwrap_or(false),
        default_role: default_role.unwrap_or_else(|| BuiltinRole::Employee.id().to_owned()),
        group_mapping: serde_json::to_string(&group_mapping.unwrap_or_default())
            .map_err(Error::internal)?,
        active: value.active.unwrap_or(true),
        redirect_uri: value.redirect_uri.expect("required"),
        settings,
        secret,
        created: now,
        changed: now,
        changed_by_id: actor.id,
        changed_by_email: actor.email,
        changed_by_name: actor.name,
        id,
    };
    rows::insert(conn, &row)?;
    let domains: Vec<String> = value
        .domains
        .unwrap_or_default()
        .into_iter()
        .map(EmailDomain::into_string)
        .collect();
    set_domains(conn, &row.id, &domains)?;
    let created = with_domains(conn, row)?;
    let mut changes = audit::created(&snapshot(&created));
    if protocol == Protocol::Oidc && created.row.secret.is_some() {
        changes.extend(audit::change(
            "oidc.client_secret",
            Value::Null,
            "(set)".into(),
        ));
    }
    caller.audit(
        conn,
        AuditAction::SsoConnectionCreated,
        audit::object("sso_connection", &created.row.id),
        changes,
    )?;
    Ok(created)
}

/// Writes the domains; a domain another connection took meanwhile is the
/// same 400 as one taken before.
fn set_domains(conn: &mut DbConnection, id: &str, domains: &[String]) -> Result<()> {
    rows::set_domains(conn, id, domains).map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            Error::field("domains", DOMAIN_TAKEN)
        } else {
            e.into()
        }
    })
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    secrets: &SecretBox,
    id: &str,
    input: Parsed<ConnectionInput>,
) -> Result<Connection> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::SsoManage)?;
    let Parsed { value, mut errors } = input;
    let (default_role, group_mapping) = resolve_roles(conn, caller, &value, &mut errors)?;
    if let Some(domains) = &value.domains {
        check_domains(conn, &current.row.id, domains, &mut errors)?;
    }
    let protocol = current.protocol()?;
    if value.oidc.is_some() && protocol != Protocol::Oidc {
        errors.add("oidc", NOT_THIS_PROTOCOL);
    }
    if value.saml.is_some() && protocol != Protocol::Saml {
        errors.add("saml", NOT_THIS_PROTOCOL);
    }
    let saml_settings = match &value.saml {
        Some(input) if protocol == Protocol::Saml => {
            let mut settings = current.saml()?;
            match settings.apply(input) {
                Ok(()) => Some(serde_json::to_string(&settings).map_err(Error::internal)?),
                Err(message) => {
                    errors.nested("saml", "idp_metadata_xml", message);
                    None
                }
            }
        }
        _ => None,
    };
    errors.into_result()?;
    let actor = caller.actor();
    let (settings, secret) = match &value.oidc {
        None => (saml_settings, None),
        Some(oidc) => {
            let mut settings = current.oidc()?;
            settings.apply(oidc);
            (
                Some(serde_json::to_string(&settings).map_err(Error::internal)?),
                oidc.client_secret
                    .as_deref()
                    .map(|s| Some(secrets.seal(s, sso_secret(&current.row.id)))),
            )
        }
    };
    let new_secret = secret.is_some();
    let changes = ConnectionChanges {
        name: value.name,
        enforcement: value.enforcement.map(|e| e.as_str().to_owned()),
        jit: value.jit,
        default_role,
        group_mapping: group_mapping
            .map(|m| serde_json::to_string(&m))
            .transpose()
            .map_err(Error::internal)?,
        active: value.active,
        redirect_uri: value.redirect_uri,
        settings,
        secret,
        changed: Some(time::now()),
        changed_by_id: Some(actor.id),
        changed_by_email: Some(actor.email),
        changed_by_name: Some(actor.name),
    };
    rows::update(conn, &current.row.id, &changes)?;
    if let Some(domains) = value.domains {
        let domains: Vec<String> = domains.into_iter().map(EmailDomain::into_string).collect();
        set_domains(conn, &current.row.id, &domains)?;
    }
    let updated = find(conn, caller, &current.row.id)?;
    let mut diff = audit::diff(&snapshot(&current), &snapshot(&updated));
    if new_secret {
        diff.extend(audit::change(
            "oidc.client_secret",
            Value::Null,
            "(changed)".into(),
        ));
    }
    caller.audit(
        conn,
        AuditAction::SsoConnectionUpdated,
        audit::object("sso_connection", &current.row.id),
        diff,
    )?;
    Ok(updated)
}

pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller.require(Permission::SsoManage)?;
    rows::delete(conn, &current.row.id)?;
    caller.audit(
        conn,
        AuditAction::SsoConnectionDeleted,
        audit::object("sso_connection", &current.row.id),
        audit::deleted(&snapshot(&current)),
    )
}
