//! Bulk writes on users. Each id goes through the same `service::users`
//! function a single write uses, so every rule (permissions by scope, the
//! last active owner, `changed_by`) applies to each id; the caller runs the
//! whole batch in one transaction, so it commits entirely or not at all.

use std::collections::HashSet;

use diesel::Connection;
use serde_json::{Map, Value};

use super::Parsed;
use super::users::{self, UserPatch};
use crate::auth::Caller;
use crate::db::{DbConnection, users as user_rows};
use crate::domain::PublicId;
use crate::error::{Error, FieldErrors, Result};

/// The most ids one bulk request may name.
pub const MAX_IDS: usize = 1000;

/// Applies the same partial update to each user of `ids`. The field errors
/// of the shared body (`input.errors`) are reported once, as a plain 400,
/// after each id's authorization checks (so a forbidden request stays a 403).
pub fn update_users(
    conn: &mut DbConnection,
    caller: &Caller,
    ids: &[String],
    is_apiuser: bool,
    input: Parsed<UserPatch>,
) -> Result<()> {
    check_ids(conn, caller, ids, is_apiuser)?;
    let Parsed { value, errors } = input;
    if !errors.is_empty() {
        for id in ids {
            let attempt = Parsed {
                value: value.clone(),
                errors: errors.clone(),
            };
            // With errors the service returns before any write; the
            // savepoint is only a safety net.
            match conn.transaction(|conn| users::update(conn, caller, id, is_apiuser, attempt)) {
                Ok(_) => {}
                Err(e) => drop(e.into_field_errors()?),
            }
        }
        return Err(Error::Validation(errors));
    }
    each(conn, ids, |conn, id| {
        let input = Parsed {
            value: value.clone(),
            errors: FieldErrors::new(),
        };
        users::update(conn, caller, id, is_apiuser, input).map(drop)
    })
}

/// Adds the label `label` to each user of `ids` (`add`), or takes it off,
/// keeping their other labels: for each id, the PATCH of `labels` that
/// does it, judged by `service::users::update` like any other.
pub fn label_users(
    conn: &mut DbConnection,
    caller: &Caller,
    ids: &[String],
    label: &str,
    add: bool,
) -> Result<()> {
    check_ids(conn, caller, ids, false)?;
    each(conn, ids, |conn, id| {
        users::set_label(conn, caller, id, false, label, add).map(drop)
    })
}

/// Deletes each user of `ids`.
pub fn delete_users(
    conn: &mut DbConnection,
    caller: &Caller,
    ids: &[String],
    is_apiuser: bool,
) -> Result<()> {
    check_ids(conn, caller, ids, is_apiuser)?;
    each(conn, ids, |conn, id| {
        users::delete(conn, caller, id, is_apiuser)
    })
}

/// 404 `{"detail": "Not found.", "invalid_ids": [...]}` naming every id that
/// is malformed, of another organization or of the other kind of user.
fn check_ids(
    conn: &mut DbConnection,
    caller: &Caller,
    ids: &[String],
    is_apiuser: bool,
) -> Result<()> {
    let mut invalid = Vec::new();
    for raw in ids {
        let found = match PublicId::parse(raw) {
            Some(id) => {
                user_rows::find_visible(conn, caller.organization_id(), id.as_str(), is_apiuser)?
                    .is_some()
            }
            None => false,
        };
        if !found {
            invalid.push(raw.clone());
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::IdsNotFound {
            ids: invalid,
            id_404_validation: false,
        })
    }
}

/// Runs `work` for each id, in order, each in its own savepoint: a rule
/// broken by one id (an error with field errors) rolls back that id alone (which
/// also clears an aborted PostgreSQL statement) and the next ids are still
/// judged, so the 400 names every failing id:
/// `{"ids": {"<id>": {"field": ["message"]}}}`. Any other error (403, 500)
/// ends the batch at once. The caller's transaction then rolls back.
fn each(
    conn: &mut DbConnection,
    ids: &[String],
    mut work: impl FnMut(&mut DbConnection, &str) -> Result<()>,
) -> Result<()> {
    let mut failed = Map::new();
    for id in ids {
        if let Err(e) = conn.transaction(|conn| work(conn, id)) {
            failed.insert(id.clone(), e.into_field_errors()?.into_value());
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    errors.set("ids", Value::Object(failed));
    Err(Error::Validation(errors))
}

/// The ids in the order given, each once.
pub fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}
