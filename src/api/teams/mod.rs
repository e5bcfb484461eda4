//! `/teams/`: groups of the caller's organization. Roles granted at team
//! tier apply to a team's members and its targets.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

pub use create::create_team;
pub use delete::delete_team;
pub use get::get_team;
pub use list::list_teams;
pub use update::{partial_update_team, update_team};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::common::ChangedBy;
use super::extract::{Fields, REQUIRED};
use super::users::Mode;
use crate::api::common::page_view;
use crate::db::models::TeamRow;
use crate::domain::team::{Description, TeamName};
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::teams::TeamInput;

/// A team of the organization.
#[derive(Serialize, ToSchema, Clone, Debug)]
#[schema(as = Team)]
pub struct TeamView {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12, example = "7kQm2RtWx9Zc")]
    pub id: String,
    /// Name of the team (not unique).
    #[schema(max_length = 255, example = "Blue team")]
    pub name: String,
    /// What the team is for; may be empty.
    #[schema(max_length = 1000)]
    pub description: String,
    pub changed_by: ChangedBy,
    /// Date and time of the last change, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-28T13:27:43.820830Z")]
    pub changed: NaiveDateTime,
}

impl From<TeamRow> for TeamView {
    fn from(row: TeamRow) -> Self {
        Self {
            changed_by: row.changed_by().into(),
            id: row.id,
            name: row.name,
            description: row.description,
            changed: row.changed,
        }
    }
}

page_view! {
    /// A page of teams.
    TeamPage of TeamView, "Number of teams matching the query."
}

/// Writable fields of a team. `name` is required on POST and PUT; PUT and
/// PATCH leave omitted fields unchanged. Read-only fields sent are ignored.
#[derive(ToSchema)]
#[schema(as = TeamWrite)]
pub struct TeamWriteDoc {
    /// Trimmed; no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
        example = "Blue team"
    )]
    pub name: String,
    /// Default on creation: "". Line breaks are allowed.
    #[schema(
        nullable = false,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
    )]
    pub description: Option<String>,
}

/// Reads the writable team fields of a body.
pub fn parse_team_input(fields: &Fields, mode: Mode) -> Parsed<TeamInput> {
    let mut e = FieldErrors::new();
    if mode != Mode::Patch && !fields.has("name") {
        e.add("name", REQUIRED);
    }
    let name = fields
        .string("name", &mut e)
        .and_then(|s| TeamName::parse(&s).collect(&mut e, "name"));
    let description = fields
        .string("description", &mut e)
        .and_then(|s| Description::parse(&s).collect(&mut e, "description"));
    Parsed {
        value: TeamInput {
            name,
            description,
            external_id: None,
        },
        errors: e,
    }
}
