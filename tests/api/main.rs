//! Black-box HTTP tests: each test starts the real application on a random
//! port with a fresh database (SQLite always; PostgreSQL when
//! `TESSERA_TEST_POSTGRES_URL` is set) and talks to it over HTTP.

mod helpers;

mod api_users;
mod auth;
mod authorization;
mod bulk;
mod concurrency;
mod docs;
mod keys;
mod labels;
mod mfa;
mod operations;
mod profile;
mod protocol;
mod readme;
mod roles;
mod targets;
mod teams;
mod throttling;
mod tokens;
mod user_filters;
mod users;
