//! `/profile/`: the caller's own user, and its password.

pub mod change_password;
pub mod get;
pub mod update;
