//! Response types shared by several resources, and the error schemas.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::ChangedBy as ChangedByRow;

/// User who last made changes.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ChangedBy {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12, example = "3aGsWt9oZb2Q")]
    pub id: String,
    /// Email of the user.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Name of the user.
    #[schema(max_length = 60)]
    pub name: String,
}

impl From<ChangedByRow> for ChangedBy {
    fn from(c: ChangedByRow) -> Self {
        Self {
            id: c.id,
            email: c.email,
            name: c.name,
        }
    }
}

/// An object named by id, as embedded in another.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct NamedRef {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub name: String,
}

/// An ISO 8601 UTC time with microseconds, e.g. `2026-11-28T13:27:43.820830Z`.
pub type Time = NaiveDateTime;

/// `{"detail": "..."}`: 401, 403, 404, 405, 413, 415, 429, 503 and 500 answers.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"detail": "Not found."}))]
pub struct ErrorDetail {
    pub detail: String,
}

/// DRF-style validation errors: one key per bad field with a list of messages
/// (nested objects or lists mirror the input, e.g.
/// `{"user_roles": [{}, {"team": ["..."]}]}`); `non_field_errors` for errors
/// not tied to one field; `{"detail": "JSON parse error - ..."}` for a
/// malformed body.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"email": ["user with this email already exists."]}))]
pub struct ValidationErrors(pub std::collections::BTreeMap<String, serde_json::Value>);
