//! The domain service layer: every write of every interface goes through it.

pub mod auth;
pub mod bulk;
pub mod keys;
pub mod labels;
pub mod mfa;
pub mod orgs;
pub mod roles;
pub mod targets;
pub mod teams;
pub mod throttle;
pub mod users;

/// Input as parsed at the edge, with the validation errors found there. A
/// service reports them only after its authorization checks, so a forbidden
/// write is a 403 even when its body is also invalid.
pub struct Parsed<T> {
    pub value: T,
    pub errors: crate::error::FieldErrors,
}
