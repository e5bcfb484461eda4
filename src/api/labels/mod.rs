//! `/labels/users/`: the organization's user labels (Probely "Label").

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

pub use create::create_label;
pub use delete::delete_label;
pub use get::get_label;
pub use list::list_labels;
pub use update::{partial_update_label, update_label};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::common::ChangedBy;
use super::extract::{Fields, REQUIRED};
use super::users::Mode;
use crate::api::common::page_view;
use crate::db::models::LabelRow;
use crate::domain::label::{LabelColor, LabelName};
use crate::domain::time;
use crate::error::{Collect, FieldErrors};
use crate::service::labels::LabelInput;
use crate::service::users::Parsed;

/// A user label, as listed and as embedded in a user.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Label {
    /// A unique Base58 value identifying this object.
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    /// Name of the label. The maximum length is 255 characters.
    #[schema(max_length = 255)]
    pub name: String,
    /// Color of the label, in RGB hexadecimal format prefixed with "#"; for example, "#00FF00" for green.
    #[schema(pattern = "^[a-zA-Z0-9#_-]*$")]
    pub color: String,
    pub changed_by: ChangedBy,
    /// Date and time of the last change, in ISO 8601 UTC format.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub changed: NaiveDateTime,
}

impl From<LabelRow> for Label {
    fn from(row: LabelRow) -> Self {
        Self {
            changed_by: row.changed_by().into(),
            id: row.id,
            name: row.name,
            color: row.color,
            changed: row.changed,
        }
    }
}

page_view! {
    /// A page of labels.
    LabelPage of Label, "Number of labels matching the query."
}

/// Writable fields of a label. `name` is required on POST and PUT; PUT and
/// PATCH leave omitted fields unchanged. Read-only fields sent are ignored.
#[derive(ToSchema)]
#[schema(as = LabelWrite)]
pub struct LabelWriteDoc {
    /// Unique in the organization, compared case-insensitively.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
        example = "Contractors"
    )]
    pub name: String,
    /// Default on creation: "" (no color).
    #[schema(
        required = false,
        max_length = 255,
        pattern = "^[a-zA-Z0-9#_-]*$",
        example = "#00FF00"
    )]
    pub color: String,
}

/// Reads the writable label fields of a body.
pub fn parse_label_input(fields: &Fields, mode: Mode) -> Parsed<LabelInput> {
    let mut e = FieldErrors::new();
    if mode != Mode::Patch && !fields.has("name") {
        e.add("name", REQUIRED);
    }
    let name = fields
        .string("name", &mut e)
        .and_then(|s| LabelName::parse(&s).collect(&mut e, "name"));
    let color = fields
        .string("color", &mut e)
        .and_then(|s| LabelColor::parse(&s).collect(&mut e, "color"));
    Parsed {
        value: LabelInput { name, color },
        errors: e,
    }
}
