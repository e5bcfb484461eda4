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

/// A 12-character Base58 id in a repeatable query filter (blank values are
/// ignored).
pub struct IdParam;

impl utoipa::PartialSchema for IdParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\s*([1-9A-HJ-NP-Za-km-z]{12})?\s*$"))
            .description(Some("An object id (12 Base58 characters)."))
            .into()
    }
}

impl utoipa::ToSchema for IdParam {}

/// A role id or a built-in role's name (any case) in a repeatable query
/// filter (blank values are ignored).
pub struct RoleParam;

impl utoipa::PartialSchema for RoleParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(
                "^\\s*([1-9A-HJ-NP-Za-km-z]{12}|[oO][wW][nN][eE][rR]|[aA][dD][mM][iI][nN]|[eE][mM][pP][lL][oO][yY][eE][eE]|[vV][iI][eE][wW][eE][rR]|[aA][uU][dD][iI][tT][oO][rR]|[bB][iI][lL][lL][iI][nN][gG])?\\s*$",
            ))
            .description(Some("A role id (12 Base58 characters) or a built-in role's name."))
            .into()
    }
}

impl utoipa::ToSchema for RoleParam {}

/// `page` and `length` of lists: integers from 1 (a larger `length` is capped,
/// so no upper bound is declared), or empty for the default, as in DRF.
pub fn positive_integer() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::ObjectBuilder;
    use utoipa::openapi::schema::{AnyOfBuilder, Schema, Type};
    let any_of = AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([""])),
        )
        .build();
    Schema::AnyOf(any_of)
}

/// An optional time filter: ISO 8601, or empty for none (as in DRF).
pub fn optional_date_time() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::ObjectBuilder;
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, Schema, SchemaFormat, Type};
    let any_of = AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([""])),
        )
        .build();
    Schema::AnyOf(any_of)
}

/// Declares the REST envelope of a page of `$view`s (DRF's `count`,
/// `page_total`, `page`, `length`, `results`), built from a service `Page`
/// of anything `$view` converts from.
macro_rules! page_view {
    ($(#[$meta:meta])* $name:ident of $view:ty, $count_doc:literal) => {
        $(#[$meta])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            #[doc = $count_doc]
            pub count: i64,
            /// Number of pages.
            pub page_total: i64,
            pub page: i64,
            pub length: i64,
            pub results: Vec<$view>,
        }

        impl<T> From<$crate::service::Page<T>> for $name
        where
            $view: From<T>,
        {
            fn from(page: $crate::service::Page<T>) -> Self {
                Self {
                    count: page.count,
                    page_total: page.page_total,
                    page: page.request.page,
                    length: page.request.length,
                    results: page.rows.into_iter().map(<$view>::from).collect(),
                }
            }
        }
    };
}
pub(crate) use page_view;
