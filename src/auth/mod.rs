//! Authentication (passwords, tokens, the caller) and the permission check.

pub mod caller;
pub mod keys;
pub mod password;
pub mod token;

pub use caller::Caller;
