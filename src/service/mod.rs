//! The domain service layer: every read and every write of every interface
//! (REST, MCP, SCIM, CLI, scheduler) goes through it, so each rule, each
//! permission check and the paging rule exist once.

pub mod access_requests;
pub mod access_review;
pub mod access_reviews;
pub mod audit;
pub mod auth;
pub mod authority;
pub mod authz;
pub mod bulk;
pub mod dormancy;
pub mod fields;
pub mod grantable;
pub mod grants;
pub mod idempotency;
pub mod introspection;
pub mod invitations;
pub mod keys;
pub mod labels;
pub mod mfa;
pub mod orgs;
pub mod page;
pub mod passwords;
pub mod roles;
pub mod secrets;
pub mod signing_keys;
pub mod sso;
pub mod targets;
pub mod teams;
pub mod throttle;
pub mod transfer;
pub mod users;
pub mod webhooks;

pub use page::{Page, PageRequest};

/// Input as parsed at the edge, with the validation errors found there. A
/// service reports them only after its authorization checks, so a forbidden
/// write is a 403 even when its body is also invalid.
pub struct Parsed<T> {
    pub value: T,
    pub errors: crate::error::FieldErrors,
}

impl<T> Parsed<T> {
    pub fn new(value: T, errors: crate::error::FieldErrors) -> Self {
        Self { value, errors }
    }

    /// Input with nothing wrong found at the edge.
    pub fn valid(value: T) -> Self {
        Self::new(value, crate::error::FieldErrors::new())
    }

    /// The value, or the errors found at the edge as a 400. Services call
    /// it after their permission checks.
    pub fn into_result(self) -> crate::error::Result<T> {
        self.errors.into_result()?;
        Ok(self.value)
    }
}

pub use crate::error::does_not_exist;
