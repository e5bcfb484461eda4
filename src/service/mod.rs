//! The domain service layer: every write of every interface goes through it.

pub mod access_review;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod invitations;
pub mod keys;
pub mod labels;
pub mod mfa;
pub mod orgs;
pub mod passwords;
pub mod roles;
pub mod targets;
pub mod teams;
pub mod throttle;
pub mod users;
pub mod webhooks;

/// Input as parsed at the edge, with the validation errors found there. A
/// service reports them only after its authorization checks, so a forbidden
/// write is a 403 even when its body is also invalid.
pub struct Parsed<T> {
    pub value: T,
    pub errors: crate::error::FieldErrors,
}

/// One page of a list, with what the envelope reports.
#[derive(Clone, Debug)]
pub struct Listed<T> {
    pub count: i64,
    pub page_total: i64,
    pub rows: Vec<T>,
}

impl<T> Listed<T> {
    /// Counts, checks that the page exists (DRF's 404 `Invalid page.`), then
    /// loads it with `(offset, limit)`.
    pub fn load(
        conn: &mut crate::db::DbConnection,
        pagination: crate::api::extract::Pagination,
        count: impl FnOnce(&mut crate::db::DbConnection) -> diesel::QueryResult<i64>,
        page: impl FnOnce(&mut crate::db::DbConnection, i64, i64) -> crate::error::Result<Vec<T>>,
    ) -> crate::error::Result<Self> {
        let count = count(conn)?;
        let page_total = pagination.check(count)?;
        let rows = page(conn, pagination.offset(), pagination.length)?;
        Ok(Self {
            count,
            page_total,
            rows,
        })
    }
}

/// DRF's message for a reference (in a body) to nothing the caller can see.
pub fn does_not_exist(raw: &str) -> String {
    format!("Invalid pk \"{raw}\" - object does not exist.")
}
