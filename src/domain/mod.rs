//! Domain types and rules: no HTTP, no SQL.

pub mod access_request;
pub mod access_reviews;
pub mod address;
pub mod audit;
pub mod dormancy;
pub mod id;
pub mod invitation;
pub mod label;
pub mod role;
pub mod sso;
pub mod target;
pub mod team;
pub mod text;
pub mod time;
pub mod token;
pub mod user;
pub mod user_roles;

#[cfg(test)]
mod properties;

pub use id::PublicId;
