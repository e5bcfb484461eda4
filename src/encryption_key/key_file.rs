//! The key file beside a SQLite database (`<database>.key`): where the
//! encryption key lives when `TESSERA_ENCRYPTION_KEY` is unset. Never in the
//! database itself, so that a copy of the database alone reveals no secret.
//!
//! A rotation stages the new key in `<database>.key.new` before its
//! transaction and renames it over the key file after the commit; a crash
//! in between is settled at the next start by the key the stored secrets
//! name (see `settle_interrupted_rotation`).

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::crypto::EncryptionKey;
use crate::domain::id::random_secret;

pub struct KeyFile {
    path: PathBuf,
    staged: PathBuf,
}

impl KeyFile {
    /// The key file of the SQLite database at `database` (a file path).
    pub fn beside(database: &str) -> Self {
        Self {
            path: PathBuf::from(format!("{database}.key")),
            staged: PathBuf::from(format!("{database}.key.new")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key, if the file exists; an interrupted rotation is settled first
    /// by `stored_key_ids`, the keys the database's secrets are sealed with.
    pub fn load(&self, stored_key_ids: &BTreeSet<String>) -> anyhow::Result<Option<EncryptionKey>> {
        self.settle_interrupted_rotation(stored_key_ids)?;
        read(&self.path)
    }

    /// The key, generated into a new file (mode 0600) when there is none.
    /// Refuses to generate one when the database already holds sealed
    /// secrets: they need the lost key, not a new one.
    pub fn load_or_create(
        &self,
        stored_key_ids: &BTreeSet<String>,
    ) -> anyhow::Result<EncryptionKey> {
        if let Some(key) = self.load(stored_key_ids)? {
            return Ok(key);
        }
        if let Some(id) = stored_key_ids.iter().next() {
            bail!(
                "the encryption key file {} is missing, and the database holds secrets encrypted \
                 with key {id}: restore the file, or set TESSERA_ENCRYPTION_KEY to that key",
                self.path.display()
            );
        }
        let key = EncryptionKey::generate();
        let temporary = write_temporary(&self.path, &key)?;
        // A hard link never replaces a file: a process starting at the same
        // moment either created the key first (then this one reads it) or
        // finds this one's.
        let linked = fs::hard_link(&temporary, &self.path);
        let _ = fs::remove_file(&temporary);
        match linked {
            Ok(()) => {
                sync_directory(&self.path);
                tracing::info!(path = %self.path.display(), key_id = key.id(), "generated the encryption key file");
                Ok(key)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(&self.path)?
                .with_context(|| format!("the key file {} vanished", self.path.display())),
            Err(e) => Err(e)
                .with_context(|| format!("cannot create the key file {}", self.path.display())),
        }
    }

    /// Writes `key` as the staged key of a rotation about to run.
    pub fn stage(&self, key: &EncryptionKey) -> anyhow::Result<()> {
        let temporary = write_temporary(&self.staged, key)?;
        fs::rename(&temporary, &self.staged)
            .with_context(|| format!("cannot write {}", self.staged.display()))?;
        sync_directory(&self.staged);
        Ok(())
    }

    /// Makes the staged key the key (after the rotation committed).
    pub fn commit_staged(&self) -> anyhow::Result<()> {
        fs::rename(&self.staged, &self.path).with_context(|| {
            format!(
                "the secrets are re-encrypted, but {} could not be renamed to {}: rename it by hand",
                self.staged.display(),
                self.path.display()
            )
        })?;
        sync_directory(&self.path);
        Ok(())
    }

    /// Forgets the staged key (the rotation did not commit).
    pub fn discard_staged(&self) {
        let _ = fs::remove_file(&self.staged);
    }

    /// A staged key left by a rotation that stopped between its commit and
    /// the rename: if every sealed secret names the staged key, the commit
    /// happened and the rename is finished now; otherwise it never committed
    /// and the staged key is dropped.
    fn settle_interrupted_rotation(&self, stored_key_ids: &BTreeSet<String>) -> anyhow::Result<()> {
        let Some(staged) = read(&self.staged)? else {
            return Ok(());
        };
        let committed =
            !stored_key_ids.is_empty() && stored_key_ids.iter().all(|id| *id == staged.id());
        if committed {
            tracing::warn!(
                key_id = staged.id(),
                "finishing an interrupted key rotation"
            );
            self.commit_staged()
        } else {
            tracing::warn!("dropping the staged key of a key rotation that did not commit");
            self.discard_staged();
            Ok(())
        }
    }
}

/// The key in `path`, `None` if there is no such file.
fn read(path: &Path) -> anyhow::Result<Option<EncryptionKey>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => zeroize::Zeroizing::new(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the key file {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    EncryptionKey::parse(&text)
        .map(Some)
        .map_err(|m| anyhow::anyhow!("the key file {}: the key {m}", path.display()))
}

/// Writes `key` (hex) to a new file beside `path` that only the owner can
/// read, flushed to disk; returns its path.
fn write_temporary(path: &Path, key: &EncryptionKey) -> anyhow::Result<PathBuf> {
    let temporary = PathBuf::from(format!("{}.tmp-{}", path.display(), random_secret(8)));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(key.to_hex().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        return Err(e).with_context(|| format!("cannot write the key file {}", path.display()));
    }
    Ok(temporary)
}

/// Makes a rename or a link in `path`'s directory durable (best effort).
fn sync_directory(path: &Path) {
    let directory = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(directory) {
        let _ = dir.sync_all();
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the encryption key file is readable by other users: chmod 600 it"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_temp_dir() -> (tempfile::TempDir, KeyFile) {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::beside(&dir.path().join("t.db").display().to_string());
        (dir, file)
    }

    #[test]
    fn a_key_is_created_once_private_and_read_back() {
        let (_dir, file) = in_temp_dir();
        let none = BTreeSet::new();
        assert!(file.load(&none).unwrap().is_none());
        let created = file.load_or_create(&none).unwrap();
        assert_eq!(file.load_or_create(&none).unwrap().id(), created.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(file.path().ends_with("t.db.key"));
    }

    #[test]
    fn no_new_key_is_made_for_secrets_sealed_with_a_lost_one() {
        let (_dir, file) = in_temp_dir();
        let sealed = BTreeSet::from(["0123456789abcdef".to_owned()]);
        let err = file.load_or_create(&sealed).unwrap_err().to_string();
        assert!(
            err.contains("is missing") && err.contains("0123456789abcdef"),
            "{err}"
        );
        assert!(!file.path().exists());
    }

    #[test]
    fn an_interrupted_rotation_is_finished_or_dropped_by_what_committed() {
        let (_dir, file) = in_temp_dir();
        let old = file.load_or_create(&BTreeSet::new()).unwrap();
        let new = EncryptionKey::generate();

        // Not committed: the database still names the old key.
        file.stage(&new).unwrap();
        let loaded = file.load(&BTreeSet::from([old.id()])).unwrap().unwrap();
        assert_eq!(loaded.id(), old.id());
        assert!(!file.staged.exists());

        // Committed: the database names the staged key.
        file.stage(&new).unwrap();
        let loaded = file.load(&BTreeSet::from([new.id()])).unwrap().unwrap();
        assert_eq!(loaded.id(), new.id());
        assert!(!file.staged.exists());
    }
}
