//! Black-box HTTP tests: each test starts the real application on a random
//! port with a fresh database (SQLite always; PostgreSQL when
//! `TESSERA_TEST_POSTGRES_URL` is set) and talks to it over HTTP.

mod helpers;

mod auth;
mod docs;
mod protocol;
mod readme;
mod users;
