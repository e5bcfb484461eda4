//! The domain service layer: every write of every interface goes through it.

pub mod auth;
pub mod orgs;
pub mod users;
