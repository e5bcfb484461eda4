//! `/api-users/`: the users resource for applications (`is_apiuser = true`).
//! Same fields and rules as `/users/`, except that API users have no
//! password and no MFA: they authenticate with API keys. A person's id here,
//! or an API user's id under `/users/`, is a 404.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;
