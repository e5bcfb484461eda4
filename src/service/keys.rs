//! API keys: a caller's own, and (with `keys.manage`) an API user's.

use chrono::NaiveDateTime;

use crate::auth::{Caller, keys};
use crate::db::keys::{self as key_rows, KeyRow};
use crate::db::models::UserRow;
use crate::db::{DbConnection, users};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::{PublicId, time};
use crate::error::{Error, Result};
use crate::service::{Parsed, audit, authority};

/// Parsed fields of a new key.
#[derive(Clone, Debug, Default)]
pub struct KeyInput {
    pub name: Option<String>,
    pub expires: Option<NaiveDateTime>,
}

pub const KEY_NAME_MAX: usize = 100;

/// A key's name: trimmed, not blank, at most `KEY_NAME_MAX` characters.
pub fn parse_name(raw: &str) -> std::result::Result<String, String> {
    let name = raw.trim().to_owned();
    if name.is_empty() {
        Err(crate::domain::user::BLANK.to_owned())
    } else if name.chars().count() > KEY_NAME_MAX {
        Err(crate::domain::user::too_long(KEY_NAME_MAX))
    } else {
        Ok(name)
    }
}

/// Whose keys a request is about.
pub enum Owner<'a> {
    /// The caller's own keys: no permission needed.
    Caller,
    /// An API user's keys: `keys.manage` at account tier, and every
    /// permission the API user holds (`service::authority`).
    ApiUser(&'a str),
}

fn owner(conn: &mut DbConnection, caller: &Caller, owner: Owner) -> Result<UserRow> {
    match owner {
        Owner::Caller => Ok(caller.user.clone()),
        Owner::ApiUser(id) => {
            let id = PublicId::parse(id).ok_or(Error::NotFound)?;
            let user = users::find_visible(conn, caller.organization_id(), id.as_str(), true)?
                .ok_or(Error::NotFound)?;
            caller.require(Permission::KeysManage)?;
            authority::require_over_user(conn, caller, &user.id)?;
            Ok(user)
        }
    }
}

pub fn list(conn: &mut DbConnection, caller: &Caller, whose: Owner) -> Result<Vec<KeyRow>> {
    let user = owner(conn, caller, whose)?;
    Ok(key_rows::of_user(conn, &user.id)?)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, whose: Owner, id: &str) -> Result<KeyRow> {
    let user = owner(conn, caller, whose)?;
    let id = PublicId::parse(id).ok_or(Error::NotFound)?;
    key_rows::find_of_user(conn, &user.id, id.as_str())?.ok_or(Error::NotFound)
}

/// Creates a key; the secret is returned once and never stored.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    whose: Owner,
    input: Parsed<KeyInput>,
) -> Result<(KeyRow, String)> {
    let user = owner(conn, caller, whose)?;
    input.errors.into_result()?;
    let generated = keys::generate();
    let row = KeyRow {
        id: PublicId::random().into_string(),
        user_id: user.id,
        name: input.value.name.expect("required"),
        prefix: generated.prefix,
        key_hash: generated.hash,
        created: time::now(),
        expires: input.value.expires,
        last_used: None,
    };
    key_rows::insert(conn, &row)?;
    caller.audit(
        conn,
        AuditAction::KeyCreated,
        audit::object("key", &row.id),
        audit::created(&audit::key_snapshot(&row)),
    )?;
    Ok((row, generated.secret))
}

/// Revokes a key at once.
pub fn revoke(conn: &mut DbConnection, caller: &Caller, whose: Owner, id: &str) -> Result<()> {
    let key = get(conn, caller, whose, id)?;
    key_rows::delete(conn, &key.id)?;
    caller.audit(
        conn,
        AuditAction::KeyRevoked,
        audit::object("key", &key.id),
        audit::deleted(&audit::key_snapshot(&key)),
    )
}

/// Ends what a user holds to authenticate: every token issued so far (its
/// token version moves on) and, with `keys_too` (deactivation), every API
/// key. Keys are deleted rather than refused while inactive, so that no
/// later reactivation revives them: whoever reactivates a user hands out
/// new credentials on purpose.
pub fn end_credentials(conn: &mut DbConnection, user_id: &str, keys_too: bool) -> Result<()> {
    users::bump_token_version(conn, user_id)?;
    if keys_too {
        key_rows::delete_of_user(conn, user_id)?;
    }
    Ok(())
}
