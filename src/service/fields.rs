//! A JSON object read field by field into DRF-style field errors: how every
//! interface that takes a JSON (or form) body (REST, console) reads it, so
//! a wrong type or a NUL character gets the same message whichever way the
//! input came in.

use serde_json::{Map, Value};

use crate::domain::text::{NUL_REFUSED, holds_nul};
use crate::error::FieldErrors;

pub const NOT_NULL: &str = "This field may not be null.";

/// A JSON object read field by field; each reader records DRF's message
/// under the field's name when the value has the wrong type.
pub struct Fields(pub Map<String, Value>);

impl Fields {
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A field's value, whatever its type; `null` is a 400 naming it.
    pub fn value(&self, key: &str, errors: &mut FieldErrors) -> Option<&Value> {
        self.take(key, errors, false)
    }

    /// Every reader goes through here: a NUL character anywhere in the
    /// field's value is a 400 under the field's name, so none reaches a
    /// query. Fields no reader asks for are ignored, as DRF ignores
    /// undeclared fields: a NUL there reaches nothing.
    fn take(&self, key: &str, errors: &mut FieldErrors, allow_null: bool) -> Option<&Value> {
        match self.0.get(key) {
            None => None,
            Some(Value::Null) if !allow_null => {
                errors.add(key, NOT_NULL);
                None
            }
            Some(v) if holds_nul(v) => {
                if !errors.contains(key) {
                    errors.add(key, NUL_REFUSED);
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    /// A string; any other JSON type is a 400 (API.md: wrong types are 400).
    pub fn string(&self, key: &str, errors: &mut FieldErrors) -> Option<String> {
        self.take(key, errors, false).and_then(|v| {
            as_string(v).or_else(|| {
                errors.add(key, "Not a valid string.");
                None
            })
        })
    }

    /// A string or `null`: `Some(None)` means "clear it".
    pub fn nullable_string(&self, key: &str, errors: &mut FieldErrors) -> Option<Option<String>> {
        match self.take(key, errors, true)? {
            Value::Null => Some(None),
            v => match as_string(v) {
                Some(s) => Some(Some(s)),
                None => {
                    errors.add(key, "Not a valid string.");
                    None
                }
            },
        }
    }

    /// A whole number or `null`: `Some(None)` means "clear it".
    pub fn nullable_integer(&self, key: &str, errors: &mut FieldErrors) -> Option<Option<i64>> {
        match self.take(key, errors, true)? {
            Value::Null => Some(None),
            Value::Number(n) if n.as_i64().is_some() => Some(n.as_i64()),
            _ => {
                errors.add(key, "A valid integer is required.");
                None
            }
        }
    }

    /// `true/false/True/False/1/0` (as JSON or as text).
    pub fn boolean(&self, key: &str, errors: &mut FieldErrors) -> Option<bool> {
        let v = self.take(key, errors, false)?;
        let parsed = match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            Value::String(s) => parse_bool(s),
            _ => None,
        };
        if parsed.is_none() {
            errors.add(key, "Must be a valid boolean.");
        }
        parsed
    }

    /// A list whose items are read by `item`; errors in items are reported
    /// under the field as a list mirroring the input.
    pub fn list(&self, key: &str, errors: &mut FieldErrors, max: usize) -> Option<Vec<Value>> {
        match self.take(key, errors, false)? {
            Value::Array(items) if items.len() > max => {
                errors.add(
                    key,
                    format!("Ensure this field has no more than {max} elements."),
                );
                None
            }
            Value::Array(items) => Some(items.clone()),
            v => {
                errors.add(
                    key,
                    format!(
                        "Expected a list of items but got type \"{}\".",
                        json_type(v)
                    ),
                );
                None
            }
        }
    }
}

pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The boolean spellings API.md accepts.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    }
}

/// A reference to an object: its id, or an object `{"id": ...}`.
pub fn reference(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => map.get("id").and_then(as_string),
        other => as_string(other),
    }
}

/// DRF's name for a JSON value's type, as its messages say it.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_the_documented_spellings() {
        for (raw, v) in [
            ("true", true),
            ("True", true),
            ("1", true),
            ("false", false),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(raw), Some(v));
        }
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn nul_characters_are_refused_under_the_name_that_carries_them() {
        let body = serde_json::json!({
            "name": "fine",
            "user_roles": [{"role": "OWNER"}, {"team": {"id": "a\u{0}"}}],
            "ignored": "a\u{0}",
            "b\u{0}": 1,
        });
        let Value::Object(map) = body else {
            unreachable!()
        };
        let fields = Fields(map);
        let mut errors = FieldErrors::new();
        assert_eq!(fields.string("name", &mut errors).as_deref(), Some("fine"));
        assert!(errors.is_empty(), "unread fields are ignored");
        assert!(fields.list("user_roles", &mut errors, 10).is_none());
        assert_eq!(
            errors.into_value(),
            serde_json::json!({"user_roles": [NUL_REFUSED]}),
            "a NUL nested in a field is a 400 on that field"
        );
    }
}
