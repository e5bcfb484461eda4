//! Black-box HTTP tests: each test starts the real application on a random
//! port with a fresh database (SQLite always; PostgreSQL when
//! `TESSERA_TEST_POSTGRES_URL` is set) and talks to it over HTTP.

mod helpers;
mod smtp;

mod access_requests;
mod access_review;
mod access_reviews;
mod api_users;
mod audit;
mod auth;
mod authority;
mod authority_model;
mod authorization;
mod bulk;
mod concurrency;
mod console;
mod console_org;
mod console_person;
mod credentials;
mod docs;
mod encryption;
mod idempotency;
mod input;
mod invitations;
mod keys;
mod labels;
mod mcp;
mod mfa;
mod operations;
mod password_reset;
mod profile;
mod protocol;
pub mod readme;
mod roles;
mod saml;
mod scim;
mod sso;
mod targets;
mod teams;
mod throttling;
mod tokens;
mod transfer;
mod trust;
mod user_filters;
mod users;
mod webhooks;
