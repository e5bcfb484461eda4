//! Hot queries run on the backend's own connection.
//!
//! diesel's multi-connection layer renders the SQL text of every query each
//! time it runs, even when the backend's connection then finds the prepared
//! statement in its cache: about half of the instructions of a cached
//! point lookup (measured with callgrind, docs/PERFORMANCE.md). The queries
//! every authenticated request makes go straight to the `SqliteConnection` or
//! `PgConnection` instead, which key their statement cache by the query's type.

/// Runs `$body` with `$c` bound to the backend's own connection: the same
/// diesel query, compiled once per backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgresql($c) => $body,
        }
    };
}

pub(crate) use on_backend;
