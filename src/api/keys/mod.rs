//! `/keys/` (the caller's own API keys) and `/api-users/{id}/keys/` (an API
//! user's, with `keys.manage`).

pub mod create;
pub mod delete;
pub mod list;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::extract::{Fields, REQUIRED};
use crate::db::keys::KeyRow;
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::keys::KeyInput;

pub use crate::service::keys::KEY_NAME_MAX;

/// An API key (never its secret, which is shown only when it is created).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ApiKey {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it (e.g. `tsk_3aGsWt9o`).
    pub prefix: String,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    /// When the key stops working; null for never.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires: Option<NaiveDateTime>,
    /// Last authenticated use (updated at most once a minute).
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used: Option<NaiveDateTime>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created: row.created,
            expires: row.expires,
            last_used: row.last_used,
        }
    }
}

/// A key just created, with its secret: shown only in this answer.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub details: ApiKey,
    /// The secret, shown only here: send it as `Authorization: Bearer <key>` (or `JWT <key>`).
    pub key: String,
}

/// Fields of a new key.
#[derive(ToSchema)]
#[schema(as = ApiKeyWrite)]
pub struct ApiKeyWriteDoc {
    #[schema(max_length = 100)]
    pub name: String,
    /// Optional expiry, in the future.
    #[schema(format = DateTime)]
    pub expires: Option<String>,
}

pub fn parse_key_input(fields: &Fields) -> Parsed<KeyInput> {
    let mut e = FieldErrors::new();
    if !fields.has("name") {
        e.add("name", REQUIRED);
    }
    let name = fields
        .string("name", &mut e)
        .and_then(|raw| crate::service::keys::parse_name(&raw).collect(&mut e, "name"));
    let expires = fields
        .nullable_string("expires", &mut e)
        .flatten()
        .and_then(|raw| {
            let parsed = time::parse(&raw).and_then(|t| {
                if t > time::now() {
                    Ok(t)
                } else {
                    Err("The expiry must be in the future.".into())
                }
            });
            parsed.collect(&mut e, "expires")
        });
    Parsed {
        value: KeyInput { name, expires },
        errors: e,
    }
}
