//! `tessera backup`: a consistent copy of a SQLite database, taken while
//! Tessera runs (PostgreSQL has `pg_dump`, see docs/OPERATIONS.md).

use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, bail};
use diesel::RunQueryDsl;

use super::DbConnection;

/// Writes a copy of the SQLite database to `to` with `VACUUM INTO`: one read
/// transaction, so the copy is consistent while writers go on, and compact
/// (free pages are left out). `to` is created with mode 0600 (the copy holds
/// password hashes and sealed secrets) and must not exist yet. The copy is a
/// database on its own, in rollback-journal mode until a server opens it.
pub fn sqlite(conn: &mut DbConnection, to: &Path) -> anyhow::Result<()> {
    let DbConnection::Sqlite(sqlite) = conn else {
        bail!(
            "`tessera backup` copies a SQLite database; back up PostgreSQL with pg_dump (see docs/OPERATIONS.md)"
        );
    };
    let target = to
        .to_str()
        .with_context(|| format!("the path {} is not UTF-8", to.display()))?;
    // VACUUM INTO writes into an empty file, keeping its mode.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .with_context(|| format!("cannot create {}", to.display()))?;
    let copied = diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(sqlite);
    if let Err(e) = copied {
        let _ = fs::remove_file(to);
        return Err(e).context("VACUUM INTO failed");
    }
    Ok(())
}
