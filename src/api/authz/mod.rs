//! `/authz/`: permission questions from other services.

pub mod check;
pub mod who;
