//! Text that no interface accepts, whatever it is for.

use serde_json::{Map, Value};

/// DRF's message for a NUL character in a string.
pub const NUL_REFUSED: &str = "Null characters are not allowed.";
pub const CONTROL_CHARACTERS: &str = "Control characters are not allowed.";

/// A one-line name as the API takes it: trimmed, 1 to `max` characters, no
/// control characters; otherwise the DRF-style message for the field.
pub fn one_line_name(raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(super::user::BLANK.into());
    }
    if value.chars().count() > max {
        return Err(super::user::too_long(max));
    }
    if value.chars().any(char::is_control) {
        return Err(CONTROL_CHARACTERS.into());
    }
    Ok(value.to_owned())
}

/// Whether a NUL character hides anywhere in `value`, keys included.
/// PostgreSQL cannot store one in text and SQLite's full-text index fails on
/// one: refused at the edge, no such input ever reaches a query.
pub fn holds_nul(value: &Value) -> bool {
    nul_path(value).is_some()
}

/// Where the first NUL character of `value` is, as a path (`filter.query`,
/// `emails[0]`; empty when `value` is the string itself).
pub fn nul_path(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item).map(|rest| format!("[{i}]{}", dotted(&rest)))),
        Value::Object(map) => nul_path_in(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// [`nul_path`] of an object's members.
pub fn nul_path_in(map: &Map<String, Value>) -> Option<String> {
    map.iter().find_map(|(key, item)| {
        if key.contains('\0') {
            return Some(key.replace('\0', "\\u0000"));
        }
        nul_path(item).map(|rest| format!("{key}{}", dotted(&rest)))
    })
}

fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_owned()
    } else {
        format!(".{rest}")
    }
}
