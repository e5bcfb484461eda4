//! Authentication (passwords, tokens, the caller) and the permission check.

pub mod caller;
pub mod grants;
pub mod keys;
pub mod password;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod verified;

pub use caller::Caller;
pub use grants::Scope;
