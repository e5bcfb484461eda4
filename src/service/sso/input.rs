//! A connection's fields, read from a JSON body (REST) or a form made into
//! one (console), and the checks that fetch what they name: the OIDC
//! issuer's discovery document and the IdP's SAML metadata.

use serde_json::Value;

use super::{ConnectionInput, MappingInput, OidcInput, SamlInput, oidc, saml};
use crate::domain::sso::{EmailDomain, Enforcement, NameIdFormat, Protocol};
use crate::error::{FieldErrors, REQUIRED};
use crate::service::Parsed;
use crate::service::fields::{Fields, as_string};

pub const NAME_MAX: usize = 100;
pub const DOMAINS_MAX: usize = 50;
pub const MAPPING_MAX: usize = 200;
pub const TEXT_MAX: usize = 1024;
pub const URL_MAX: usize = 2048;

/// A bounded, non-blank string field.
fn text(fields: &Fields, key: &str, max: usize, e: &mut FieldErrors) -> Option<String> {
    let value = fields.string(key, e)?;
    let value = value.trim().to_owned();
    if value.is_empty() {
        e.add(key, "This field may not be blank.");
        None
    } else if value.chars().count() > max {
        e.add(
            key,
            format!("Ensure this field has no more than {max} characters."),
        );
        None
    } else if value.chars().any(char::is_control) {
        e.add(key, "Control characters are not allowed.");
        None
    } else {
        Some(value)
    }
}

fn redirect_uri(fields: &Fields, e: &mut FieldErrors) -> Option<String> {
    let raw = text(fields, "redirect_uri", URL_MAX, e)?;
    match url::Url::parse(&raw) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.fragment().is_none() =>
        {
            Some(url.to_string())
        }
        _ => {
            e.add(
                "redirect_uri",
                "Enter a valid http(s) URL without a fragment.",
            );
            None
        }
    }
}

fn parse_oidc(value: &Value, creating: bool, e: &mut FieldErrors) -> Option<OidcInput> {
    let Value::Object(map) = value else {
        e.add("non_field_errors", "Invalid data. Expected a dictionary.");
        return None;
    };
    let fields = Fields(map.clone());
    if creating {
        for key in ["issuer", "client_id"] {
            if !fields.has(key) {
                e.add(key, REQUIRED);
            }
        }
    }
    let issuer = text(&fields, "issuer", URL_MAX, e).and_then(|raw| {
        oidc::parse_issuer(&raw)
            .map_err(|m| e.add("issuer", m))
            .ok()
    });
    let client_id = text(&fields, "client_id", TEXT_MAX, e);
    let client_secret = fields.string("client_secret", e).and_then(|s| {
        if s.is_empty() || s.len() > TEXT_MAX {
            e.add(
                "client_secret",
                format!("Must have 1 to {TEXT_MAX} characters."),
            );
            None
        } else {
            Some(s)
        }
    });
    let scopes = fields.list("scopes", e, 20).and_then(|items| {
        let scopes: Option<Vec<String>> = items
            .iter()
            .map(|v| {
                as_string(v).filter(|s| {
                    !s.is_empty()
                        && s.len() <= 256
                        && s.bytes()
                            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
                })
            })
            .collect();
        if scopes.is_none() {
            e.add(
                "scopes",
                "Each scope must be a non-empty token of printable characters.",
            );
        }
        scopes
    });
    let claim_email = text(&fields, "claim_email", 256, e);
    let claim_groups = text(&fields, "claim_groups", 256, e);
    Some(OidcInput {
        issuer,
        client_id,
        client_secret,
        scopes,
        claim_email,
        claim_groups,
    })
}

fn parse_mapping(items: Vec<Value>, e: &mut FieldErrors) -> Option<Vec<MappingInput>> {
    let mut parsed = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    for item in items {
        let mut ie = FieldErrors::new();
        match item {
            Value::Object(map) => {
                let fields = Fields(map);
                for key in ["group", "role"] {
                    if !fields.has(key) {
                        ie.add(key, REQUIRED);
                    }
                }
                let group = text(&fields, "group", 256, &mut ie);
                let role = text(&fields, "role", 64, &mut ie);
                let team = fields.nullable_string("team", &mut ie).flatten();
                if let (Some(group), Some(role)) = (group, role) {
                    parsed.push(MappingInput { group, role, team });
                }
            }
            _ => ie.add("non_field_errors", "Invalid data. Expected a dictionary."),
        }
        item_errors.push(ie.into_value());
    }
    if item_errors
        .iter()
        .any(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    {
        e.set("group_mapping", Value::Array(item_errors));
        return None;
    }
    Some(parsed)
}

/// Reads connection fields; `creating` makes the required ones required.
pub fn parse_connection_input(fields: &Fields, creating: bool) -> Parsed<ConnectionInput> {
    let mut e = FieldErrors::new();
    if creating {
        for key in ["name", "domains", "redirect_uri"] {
            if !fields.has(key) {
                e.add(key, REQUIRED);
            }
        }
    }
    let protocol = fields
        .string("protocol", &mut e)
        .and_then(|raw| match Protocol::parse(&raw) {
            Ok(p) if creating => Some(p),
            Ok(_) => {
                e.add("protocol", "The protocol of a connection cannot change.");
                None
            }
            Err(m) => {
                e.add("protocol", m);
                None
            }
        });
    let name = text(fields, "name", NAME_MAX, &mut e);
    let domains = fields
        .list("domains", &mut e, DOMAINS_MAX)
        .and_then(|items| {
            let mut domains: Vec<EmailDomain> = Vec::new();
            for item in &items {
                match as_string(item).map(|s| EmailDomain::parse(&s)) {
                    Some(Ok(d)) => {
                        if !domains.contains(&d) {
                            domains.push(d);
                        }
                    }
                    Some(Err(m)) => {
                        e.add("domains", m);
                        return None;
                    }
                    None => {
                        e.add("domains", "Not a valid string.");
                        return None;
                    }
                }
            }
            if domains.is_empty() {
                e.add("domains", "This list may not be empty.");
                return None;
            }
            Some(domains)
        });
    let enforcement = fields.string("enforcement", &mut e).and_then(|raw| {
        Enforcement::parse(&raw)
            .map_err(|m| e.add("enforcement", m))
            .ok()
    });
    let jit = fields.boolean("jit", &mut e);
    let default_role = text(fields, "default_role", 64, &mut e);
    let group_mapping = fields
        .list("group_mapping", &mut e, MAPPING_MAX)
        .and_then(|items| parse_mapping(items, &mut e));
    let active = fields.boolean("active", &mut e);
    let redirect_uri = if fields.has("redirect_uri") {
        redirect_uri(fields, &mut e)
    } else {
        None
    };
    // The protocol's settings object is required, the other one refused
    // (and not read).
    let mut refused: Vec<&str> = Vec::new();
    if creating {
        let chosen = match fields.0.get("protocol").and_then(Value::as_str) {
            Some("saml") => Some(Protocol::Saml),
            Some("oidc") | None => Some(Protocol::Oidc),
            Some(_) => None,
        };
        if let Some(chosen) = chosen {
            for p in Protocol::ALL {
                let key = p.as_str();
                if p == chosen && !fields.has(key) {
                    e.add(key, REQUIRED);
                } else if p != chosen && fields.has(key) {
                    e.add(key, "Only for a connection of this protocol.");
                    refused.push(key);
                }
            }
        }
    }
    let read = |key: &str, e: &mut FieldErrors| {
        if refused.contains(&key) {
            None
        } else {
            fields.value(key, e).cloned()
        }
    };
    let saml = read("saml", &mut e).and_then(|value| {
        let mut se = FieldErrors::new();
        let parsed = parse_saml(&value, creating, &mut se);
        if se.is_empty() {
            parsed
        } else {
            e.set("saml", se.into_value());
            None
        }
    });
    let oidc = read("oidc", &mut e).and_then(|value| {
        let mut oe = FieldErrors::new();
        let parsed = parse_oidc(&value, creating, &mut oe);
        if oe.is_empty() {
            parsed
        } else {
            e.set("oidc", oe.into_value());
            None
        }
    });
    Parsed {
        value: ConnectionInput {
            protocol,
            name,
            domains,
            enforcement,
            jit,
            default_role,
            group_mapping,
            active,
            redirect_uri,
            oidc,
            saml,
        },
        errors: e,
    }
}

fn parse_saml(value: &Value, creating: bool, e: &mut FieldErrors) -> Option<SamlInput> {
    let Value::Object(map) = value else {
        e.add("non_field_errors", "Invalid data. Expected a dictionary.");
        return None;
    };
    let fields = Fields(map.clone());
    let has_xml = fields.has("idp_metadata_xml");
    let has_url = fields.has("idp_metadata_url");
    if has_xml && has_url {
        e.add("non_field_errors", saml::METADATA_ONE_SOURCE);
    } else if creating && !has_xml && !has_url {
        e.add("idp_metadata_xml", REQUIRED);
    }
    let idp_metadata_xml = fields.string("idp_metadata_xml", e).and_then(|xml| {
        saml::parse_idp_metadata(&xml)
            .map(|_| xml)
            .map_err(|m| e.add("idp_metadata_xml", m))
            .ok()
    });
    let idp_metadata_url = text(&fields, "idp_metadata_url", URL_MAX, e).and_then(|raw| {
        saml::parse_metadata_url(&raw)
            .map_err(|m| e.add("idp_metadata_url", m))
            .ok()
    });
    let name_id_format = fields.string("name_id_format", e).and_then(|raw| {
        NameIdFormat::parse(&raw)
            .map_err(|m| e.add("name_id_format", m))
            .ok()
    });
    let attribute_email = text(&fields, "attribute_email", 256, e);
    let attribute_groups = text(&fields, "attribute_groups", 256, e);
    let sign_requests = fields.boolean("sign_requests", e);
    let allow_idp_initiated = fields.boolean("allow_idp_initiated", e);
    Some(SamlInput {
        idp_metadata_xml,
        idp_metadata_url,
        name_id_format,
        attribute_email,
        attribute_groups,
        sign_requests,
        allow_idp_initiated,
    })
}

/// Fetches and checks the IdP metadata at the URL the input names (when
/// it is otherwise valid), reporting a failure under
/// `saml.idp_metadata_url`.
pub async fn fetch_saml_metadata(input: &mut Parsed<ConnectionInput>) {
    let Some(url) = input
        .value
        .saml
        .as_ref()
        .and_then(|s| s.idp_metadata_url.clone())
    else {
        return;
    };
    match saml::fetch_metadata(&url).await {
        Ok(xml) => {
            if let Some(settings) = input.value.saml.as_mut() {
                settings.idp_metadata_xml = Some(xml);
            }
        }
        Err(message) => input.errors.nested("saml", "idp_metadata_url", message),
    }
}

/// Fetches and checks the discovery document of the issuer the input
/// names (when it is otherwise valid), reporting a bad one under
/// `oidc.issuer`.
pub async fn check_issuer(input: &mut Parsed<ConnectionInput>) {
    let Some(issuer) = input.value.oidc.as_ref().and_then(|o| o.issuer.clone()) else {
        return;
    };
    if let Err(message) = oidc::discover(&issuer).await {
        input.errors.nested("oidc", "issuer", message);
    }
}
