//! PATCH (RFC 7644 §3.5.2) applied to a user's SCIM representation; the
//! result is then written like a PUT, through the same service.
//!
//! Accepts the forms IdPs send: `op` in any case (Entra's `Replace`), with
//! or without `path` (Okta's `{"op": "replace", "value": {"active": false}}`),
//! dotted keys in a path-less value (`"name.givenName"`), and value filters
//! in paths (`emails[type eq "work"].value`).

use actix_web::http::StatusCode;
use serde_json::{Map, Value};

use super::filter::{self, AttrPath, CompareOp, Filter, Literal, get_ci};
use super::{ENTERPRISE_USER_SCHEMA, PATCH_SCHEMA, ScimError, ScimResult};

/// The schema extensions whose attributes a PATCH may write.
const EXTENSIONS: [&str; 1] = [ENTERPRISE_USER_SCHEMA];

/// Where an operation applies: `attr`, `attr.sub`, `attr[filter]` or
/// `attr[filter].sub`.
#[derive(Debug)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// After a value filter; without one it is `attr.sub`.
    pub sub: Option<String>,
}

pub fn parse_path(raw: &str) -> ScimResult<PatchPath> {
    let invalid = || ScimError::invalid_path(format!("Invalid path \"{raw}\"."));
    let Some(open) = raw.find('[') else {
        let attr = filter::parse_attr_path(raw.trim()).map_err(|_| invalid())?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
        });
    };
    let close = raw.rfind(']').filter(|c| *c > open).ok_or_else(invalid)?;
    let attr = filter::parse_attr_path(raw[..open].trim()).map_err(|_| invalid())?;
    if attr.sub.is_some() {
        return Err(invalid());
    }
    let filter = filter::parse(&raw[open + 1..close])
        .map_err(|e| ScimError::invalid_filter(e.to_string()))?;
    let rest = &raw[close + 1..];
    let sub = if rest.is_empty() {
        None
    } else {
        let sub = rest.strip_prefix('.').ok_or_else(invalid)?;
        if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid());
        }
        Some(sub.to_ascii_lowercase())
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
    })
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::new(StatusCode::BAD_REQUEST, Some("noTarget"), detail)
}

/// The key of `object` named `name` in any case, or `name` itself.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn object_mut(value: &mut Value) -> ScimResult<&mut Map<String, Value>> {
    value
        .as_object_mut()
        .ok_or_else(|| ScimError::invalid_value("The target is not a complex attribute."))
}

/// Whether `path` names an attribute of the resource's core `schema` (or
/// none).
fn core_attribute(path: &AttrPath, schema: &str) -> bool {
    path.uri
        .as_deref()
        .is_none_or(|uri| uri.eq_ignore_ascii_case(schema))
}

/// Where in an extension a path points.
enum Within {
    /// The extension's whole object (a path that is only its URN).
    Whole(&'static str),
    /// One attribute of it (the path without its URN).
    Attribute(&'static str, AttrPath),
}

/// Whether `path` points into a schema extension this service keeps.
fn extension(path: &AttrPath) -> Option<Within> {
    let uri = path.uri.as_deref()?;
    EXTENSIONS.into_iter().find_map(|urn| {
        if uri.eq_ignore_ascii_case(urn) {
            return Some(Within::Attribute(
                urn,
                AttrPath {
                    uri: None,
                    name: path.name.clone(),
                    sub: path.sub.clone(),
                },
            ));
        }
        let whole = format!("{uri}:{}", path.name);
        (path.sub.is_none() && whole.eq_ignore_ascii_case(urn)).then_some(Within::Whole(urn))
    })
}

fn check_mutable(path: &AttrPath, schema: &str) -> ScimResult<()> {
    if matches!(path.name.as_str(), "id" | "meta" | "schemas") && core_attribute(path, schema) {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("mutability"),
            format!("\"{}\" is read-only.", path.name),
        ));
    }
    Ok(())
}

/// Merges `value` into `target`: objects key by key, anything else replaced;
/// `add` appends to a multi-valued attribute.
fn put(target: &mut Value, value: Value, add: bool) {
    match (target, value) {
        (Value::Object(existing), Value::Object(new)) => {
            for (k, v) in new {
                let key = key_of(existing, &k);
                existing.insert(key, v);
            }
        }
        (Value::Array(existing), Value::Array(new)) if add => existing.extend(new),
        (Value::Array(existing), new) if add && !new.is_null() => existing.push(new),
        (target, new) => *target = new,
    }
}

fn set(
    resource: &mut Value,
    schema: &str,
    path: &PatchPath,
    value: Value,
    add: bool,
) -> ScimResult<()> {
    // Okta's path-less replace repeats the resource's `id`: writing a
    // read-only attribute's own value again changes nothing.
    if path.filter.is_none()
        && path.attr.sub.is_none()
        && get_ci(resource, &path.attr.name) == Some(&value)
    {
        return Ok(());
    }
    check_mutable(&path.attr, schema)?;
    match extension(&path.attr) {
        Some(Within::Whole(urn)) => {
            let root = object_mut(resource)?;
            let key = key_of(root, urn);
            match root.get_mut(&key) {
                Some(target) if !target.is_null() => put(target, value, add),
                _ => {
                    root.insert(key, value);
                }
            }
            return Ok(());
        }
        Some(Within::Attribute(urn, inner)) => {
            let root = object_mut(resource)?;
            let key = key_of(root, urn);
            let target = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            let path = PatchPath {
                attr: inner,
                filter: path.filter.clone(),
                sub: path.sub.clone(),
            };
            return set(target, urn, &path, value, add);
        }
        None if !core_attribute(&path.attr, schema) => {
            return Err(ScimError::invalid_path(format!(
                "No schema \"{}\" here.",
                path.attr.uri.as_deref().unwrap_or_default()
            )));
        }
        None => {}
    }
    let root = object_mut(resource)?;
    let key = key_of(root, &path.attr.name);
    match (&path.filter, &path.sub, &path.attr.sub) {
        (None, _, None) => {
            match root.get_mut(&key) {
                Some(target) => put(target, value, add),
                None => {
                    root.insert(key, value);
                }
            }
            Ok(())
        }
        (None, _, Some(sub)) => {
            let target = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            let object = object_mut(target)?;
            let sub_key = key_of(object, sub);
            match object.get_mut(&sub_key) {
                Some(existing) => put(existing, value, add),
                None => {
                    object.insert(sub_key, value);
                }
            }
            Ok(())
        }
        (Some(filter), sub, _) => {
            let items = root.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if items.is_null() {
                *items = Value::Array(Vec::new());
            }
            let Value::Array(items) = items else {
                return Err(ScimError::invalid_path(
                    "A value filter needs a multi-valued attribute.",
                ));
            };
            let mut matched = false;
            for item in items.iter_mut().filter(|item| filter.matches(item)) {
                matched = true;
                match sub {
                    Some(sub) => {
                        let object = object_mut(item)?;
                        let sub_key = key_of(object, sub);
                        object.insert(sub_key, value.clone());
                    }
                    None => put(item, value.clone(), false),
                }
            }
            if matched {
                return Ok(());
            }
            // `emails[type eq "work"].value` with no work address yet: Entra
            // expects one to be added.
            if let (Filter::Compare(by, CompareOp::Eq, Literal::String(wanted)), Some(sub)) =
                (filter, sub)
                && by.sub.is_none()
            {
                let mut item = Map::new();
                item.insert(by.name.clone(), Value::String(wanted.clone()));
                item.insert(sub.clone(), value);
                items.push(Value::Object(item));
                return Ok(());
            }
            Err(no_target("No value matches the path's filter."))
        }
    }
}

fn remove(resource: &mut Value, schema: &str, path: &PatchPath) -> ScimResult<()> {
    check_mutable(&path.attr, schema)?;
    match extension(&path.attr) {
        Some(Within::Whole(urn)) => {
            let root = object_mut(resource)?;
            let key = key_of(root, urn);
            root.remove(&key);
            return Ok(());
        }
        Some(Within::Attribute(urn, inner)) => {
            let root = object_mut(resource)?;
            let key = key_of(root, urn);
            if let Some(target) = root.get_mut(&key).filter(|t| t.is_object()) {
                let path = PatchPath {
                    attr: inner,
                    filter: path.filter.clone(),
                    sub: path.sub.clone(),
                };
                remove(target, urn, &path)?;
            }
            return Ok(());
        }
        None if !core_attribute(&path.attr, schema) => {
            return Err(ScimError::invalid_path(format!(
                "No schema \"{}\" here.",
                path.attr.uri.as_deref().unwrap_or_default()
            )));
        }
        None => {}
    }
    let root = object_mut(resource)?;
    let key = key_of(root, &path.attr.name);
    match (&path.filter, &path.sub, &path.attr.sub) {
        (None, _, None) => {
            root.remove(&key);
        }
        (None, _, Some(sub)) => match root.get_mut(&key) {
            Some(Value::Object(object)) => {
                let sub_key = key_of(object, sub);
                object.remove(&sub_key);
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    let sub_key = key_of(item, sub);
                    item.remove(&sub_key);
                }
            }
            _ => {}
        },
        (Some(filter), sub, _) => {
            if let Some(Value::Array(items)) = root.get_mut(&key) {
                match sub {
                    None => items.retain(|item| !filter.matches(item)),
                    Some(sub) => {
                        for item in items.iter_mut().filter(|item| filter.matches(item)) {
                            if let Some(object) = item.as_object_mut() {
                                let sub_key = key_of(object, sub);
                                object.remove(&sub_key);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Applies a PatchOp request body to `resource`, of the core `schema`.
pub fn apply(resource: &mut Value, body: &Value, schema: &str) -> ScimResult<()> {
    if let Some(schemas) = get_ci(body, "schemas").and_then(Value::as_array)
        && !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA))
    {
        return Err(ScimError::invalid_value(format!(
            "A PATCH body has the schema {PATCH_SCHEMA}."
        )));
    }
    let operations = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_value("A PATCH body lists its Operations."))?;
    for operation in operations {
        let op = get_ci(operation, "op")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimError::invalid_value("Each operation names its op."))?
            .to_ascii_lowercase();
        let path = match get_ci(operation, "path").and_then(Value::as_str) {
            Some(raw) if !raw.trim().is_empty() => Some(parse_path(raw)?),
            _ => None,
        };
        let value = get_ci(operation, "value").cloned();
        match (op.as_str(), path) {
            ("add" | "replace", Some(path)) => {
                let value = value
                    .ok_or_else(|| ScimError::invalid_value(format!("\"{op}\" needs a value.")))?;
                set(resource, schema, &path, value, op == "add")?;
            }
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_value(format!(
                        "\"{op}\" without a path needs an object value."
                    )));
                };
                for (name, value) in values {
                    let path = parse_path(&name)?;
                    set(resource, schema, &path, value, op == "add")?;
                }
            }
            ("remove", Some(path)) => remove(resource, schema, &path)?,
            ("remove", None) => return Err(no_target("\"remove\" needs a path.")),
            (other, _) => {
                return Err(ScimError::invalid_value(format!(
                    "Unknown op \"{other}\": use add, replace or remove."
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::USER_SCHEMA;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "userName": "a@example.com",
            "displayName": "Ann Lee",
            "name": {"formatted": "Ann Lee", "givenName": "Ann", "familyName": "Lee"},
            "active": true,
            "emails": [{"value": "a@example.com", "type": "work", "primary": true}],
        })
    }

    fn patched(ops: Value) -> Value {
        let mut resource = user();
        apply(
            &mut resource,
            &json!({"schemas": [PATCH_SCHEMA], "Operations": ops}),
            USER_SCHEMA,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        resource
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans_reach_the_resource() {
        let r = patched(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        assert_eq!(r["active"], "False");
    }

    #[test]
    fn okta_replaces_without_a_path() {
        let r = patched(
            json!([{"op": "replace", "value": {"active": false, "name.givenName": "Anna"}}]),
        );
        assert_eq!(r["active"], false);
        assert_eq!(r["name"]["givenName"], "Anna");
        assert_eq!(r["name"]["familyName"], "Lee");
    }

    #[test]
    fn value_filter_paths_set_add_and_remove() {
        let r = patched(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@example.com"},
            {"op": "add", "path": "emails", "value": [{"value": "c@example.com", "type": "home"}]},
        ]));
        assert_eq!(r["emails"][0]["value"], "b@example.com");
        assert_eq!(r["emails"][1]["value"], "c@example.com");
        let r = patched(json!([
            {"op": "add", "path": "emails[type eq \"other\"].value", "value": "d@example.com"},
            {"op": "remove", "path": "emails[type eq \"work\"]"},
        ]));
        assert_eq!(
            r["emails"],
            json!([{"type": "other", "value": "d@example.com"}])
        );
    }

    #[test]
    fn extension_attributes_are_written_by_urn_path_or_whole() {
        let dept = format!("{ENTERPRISE_USER_SCHEMA}:department");
        let r = patched(json!([
            {"op": "add", "path": dept, "value": "Sales"},
            {"op": "replace", "path": format!("{ENTERPRISE_USER_SCHEMA}:manager.value"), "value": "m1"},
        ]));
        assert_eq!(
            r[ENTERPRISE_USER_SCHEMA],
            json!({"department": "Sales", "manager": {"value": "m1"}})
        );
        let r = patched(json!([
            {"op": "add", "value": {ENTERPRISE_USER_SCHEMA: {"costCenter": "42"}}},
            {"op": "remove", "path": format!("{ENTERPRISE_USER_SCHEMA}:costCenter")},
            {"op": "add", "path": ENTERPRISE_USER_SCHEMA, "value": {"division": "EU"}},
        ]));
        assert_eq!(r[ENTERPRISE_USER_SCHEMA], json!({"division": "EU"}));
        let r = patched(json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}]));
        assert!(r.get(ENTERPRISE_USER_SCHEMA).is_none());

        let mut r = user();
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "add", "path": "urn:example:unknown:2.0:User:shoeSize", "value": "44"}]});
        let e = apply(&mut r, &body, USER_SCHEMA).expect_err("an unknown schema");
        assert_eq!(e.scim_type, Some("invalidPath"));
    }

    #[test]
    fn removes_attributes_and_sub_attributes() {
        let r = patched(json!([
            {"op": "remove", "path": "displayName"},
            {"op": "remove", "path": "name.givenName"},
        ]));
        assert!(r.get("displayName").is_none());
        assert!(r["name"].get("givenName").is_none());
    }

    #[test]
    fn rejects_bad_operations() {
        let mut r = user();
        for (body, scim_type) in [
            (
                json!({"Operations": [{"op": "move", "path": "active"}]}),
                "invalidValue",
            ),
            (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
            (
                json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}),
                "mutability",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "emails[type eq]", "value": "x"}]}),
                "invalidFilter",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "emails[type eq \"x\"]", "value": {}}]}),
                "noTarget",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "a..b", "value": 1}]}),
                "invalidPath",
            ),
            (json!({"ops": []}), "invalidValue"),
        ] {
            let e = apply(&mut r, &body, USER_SCHEMA).expect_err(&body.to_string());
            assert_eq!(e.scim_type, Some(scim_type), "{body}");
        }
    }
}
