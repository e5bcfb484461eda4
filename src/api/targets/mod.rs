//! `/targets/`: the things access is scoped to (a scope-tier role applies to
//! one target; a team-tier role to the targets of that team).

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

pub use create::create_target;
pub use delete::delete_target;
pub use get::get_target;
pub use list::list_targets;
pub use update::{partial_update_target, update_target};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::common::ChangedBy;
use super::extract::{Fields, REQUIRED, reference};
use super::users::Mode;
use crate::api::common::page_view;
use crate::db::models::TargetDetail;
use crate::domain::target::{TargetName, TargetUrl};
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::Parsed;
use crate::service::targets::TargetInput;

/// At most this many teams in one write.
const TEAMS_MAX: usize = 1000;

/// A target of the organization.
#[derive(Serialize, ToSchema, Clone, Debug)]
#[schema(as = Target)]
pub struct TargetView {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12, example = "9pLx3VbQe2Hn")]
    pub id: String,
    /// Name of the target (not unique).
    #[schema(max_length = 255, example = "Web shop")]
    pub name: String,
    /// Absolute http or https URL of the target; "" when none was given.
    #[schema(max_length = 2048, example = "https://shop.example.com")]
    pub url: String,
    /// Ids of the teams the target belongs to.
    pub teams: Vec<String>,
    pub changed_by: ChangedBy,
    /// Date and time of the last change, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-28T13:27:43.820830Z")]
    pub changed: NaiveDateTime,
}

impl From<TargetDetail> for TargetView {
    fn from(d: TargetDetail) -> Self {
        let row = d.target;
        Self {
            changed_by: row.changed_by().into(),
            id: row.id,
            name: row.name,
            url: row.url,
            teams: d.teams,
            changed: row.changed,
        }
    }
}

page_view! {
    /// A page of targets.
    TargetPage of TargetView, "Number of targets matching the query."
}

/// Writable fields of a target. `name` is required on POST and PUT; PUT and
/// PATCH leave omitted fields unchanged. Read-only fields sent are ignored.
#[derive(ToSchema)]
#[schema(as = TargetWrite)]
pub struct TargetWriteDoc {
    /// Trimmed; no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
        example = "Web shop"
    )]
    pub name: String,
    /// An absolute http or https URL. Default on creation: "" (none); once sent it may not be blank.
    #[schema(
        nullable = false,
        format = "uri",
        max_length = 2048,
        example = "https://shop.example.com"
    )]
    pub url: Option<String>,
    /// Team ids, or objects `{"id": ...}`, of the caller's organization. Replaces the target's teams. Default on creation: none.
    #[schema(nullable = false, max_items = 1000)]
    pub teams: Option<Vec<String>>,
}

/// Reads the writable target fields of a body.
pub fn parse_target_input(fields: &Fields, mode: Mode) -> Parsed<TargetInput> {
    let mut e = FieldErrors::new();
    if mode != Mode::Patch && !fields.has("name") {
        e.add("name", REQUIRED);
    }
    let name = fields
        .string("name", &mut e)
        .and_then(|s| TargetName::parse(&s).collect(&mut e, "name"));
    let url = fields
        .string("url", &mut e)
        .and_then(|s| TargetUrl::parse(&s).collect(&mut e, "url"));
    let teams = fields.list("teams", &mut e, TEAMS_MAX).and_then(|items| {
        let ids: Vec<Option<String>> = items.iter().map(reference).collect();
        if ids.iter().any(Option::is_none) {
            e.add("teams", "Each team must be an id or an object with an id.");
            None
        } else {
            Some(ids.into_iter().flatten().collect())
        }
    });
    Parsed {
        value: TargetInput { name, url, teams },
        errors: e,
    }
}
