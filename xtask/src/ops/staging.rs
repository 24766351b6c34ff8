//! Staging folders: a private working folder per run, locked while the run lives, removed when
//! it ends, and removed by a later run when it died (SIGKILL, power loss) unless a release
//! journal still names it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::fs::write_atomic;

/// A private working folder for one run, removed when dropped (on success and on failure).
/// While it exists, its holder keeps an OS lock on a file in it, so that a later run can tell
/// the folder of a dead run (its lock is free) from a live one and remove it.
pub struct Staging {
    path: PathBuf,
    _lock: fs::File,
    /// Set by [`Staging::keep`]: the folder outlives this value.
    kept: bool,
}

/// The lock file inside every staging folder.
const STAGING_LOCK: &str = ".xtask-staging.lock";
/// Present in a staging folder a release journal names, holding the journal's path: its
/// artifacts may still be delivered by `release --resume`, so it is kept while that journal
/// names it (work folders can be shared by several repositories through CARGO_TARGET_DIR).
const JOURNALED: &str = ".xtask-journaled";
/// The prefixes of staging folders; `<prefix>-<pid>-<random>`.
const STAGING_PREFIXES: &[&str] = &["release", "nightly", "bundle", "merge", "publish", "lock"];

impl Staging {
    /// Create `parent/<prefix>-<pid>-<random>`, removing the folders of dead runs first.
    pub fn create(parent: &Path, prefix: &str) -> Result<Staging> {
        debug_assert!(
            STAGING_PREFIXES.contains(&prefix),
            "{prefix}: a staging prefix later runs clean up"
        );
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        remove_dead_staging(parent);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-{}-", std::process::id()))
            .tempdir_in(parent)
            .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
        let path = dir.keep();
        let lock = lock_staging(&path)?.with_context(|| format!("{} is locked", path.display()))?;
        Ok(Staging {
            path,
            _lock: lock,
            kept: false,
        })
    }

    /// Take over the staging folder of a dead run (named by its journal); `None` if another
    /// live run holds it.
    pub fn adopt(path: &Path) -> Result<Option<Staging>> {
        Ok(lock_staging(path)?.map(|lock| Staging {
            path: path.to_path_buf(),
            _lock: lock,
            kept: false,
        }))
    }

    /// Mark the folder as named by the journal at `journal` (see [`remove_dead_staging`]).
    pub fn mark_journaled(&self, journal: &Path) -> Result<()> {
        write_atomic(&self.path.join(JOURNALED), journal.as_os_str().as_encoded_bytes())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leave the folder in place (a journal still needs what it holds); a later run removes
    /// it once no journal names it.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The staging folder's lock, taken; `None` when a live run holds it.
fn lock_staging(dir: &Path) -> Result<Option<fs::File>> {
    let path = dir.join(STAGING_LOCK);
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Remove the staging folders of runs that died without cleaning up (SIGKILL, power loss):
/// those whose lock is free, and those of older versions without a lock (after an hour).
/// A folder a release journal still names is kept for `release --resume`. Best effort: what
/// cannot be removed stays.
pub fn remove_dead_staging(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = STAGING_PREFIXES.iter().any(|p| {
            name.strip_prefix(p)
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|rest| rest.split_once('-'))
                .is_some_and(|(pid, _)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        let dir = entry.path();
        if !ours || !dir.is_dir() || named_by_journal(&dir) {
            continue;
        }
        if dir.join(STAGING_LOCK).exists() {
            // Held while removing, so that nothing adopts it meanwhile.
            if let Ok(Some(_lock)) = lock_staging(&dir) {
                let _ = fs::remove_dir_all(&dir);
            }
        } else {
            let age = fs::metadata(&dir)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a.as_secs() > 3600) {
                let _ = fs::remove_dir_all(&dir);
            }
        }
    }
}

/// Whether a journal (the one its marker names) still names this staging folder.
fn named_by_journal(dir: &Path) -> bool {
    let Ok(journal) = fs::read(dir.join(JOURNALED)) else {
        return false;
    };
    let journal = PathBuf::from(String::from_utf8_lossy(&journal).into_owned());
    let named = serde_json::to_string(&dir.to_string_lossy()).unwrap_or_default();
    fs::read_to_string(journal).is_ok_and(|text| text.contains(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The staging folder of a run that died (killed: its lock file left, its lock gone) is
    /// removed by the next run of any command; a live run's is not.
    #[test]
    fn every_command_s_staging_folder_is_removed_once_its_run_died() {
        let work = tempfile::tempdir().unwrap();
        let live = Staging::create(work.path(), "lock").unwrap();
        for prefix in STAGING_PREFIXES {
            let dead = work.path().join(format!("{prefix}-4194999-aB3dE"));
            fs::create_dir_all(dead.join("downloads")).unwrap();
            fs::write(dead.join(STAGING_LOCK), b"").unwrap();
        }
        let other = Staging::create(work.path(), "nightly").unwrap();
        let mut left: Vec<String> = fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![
            live.path().file_name().unwrap().to_string_lossy().into_owned(),
            other.path().file_name().unwrap().to_string_lossy().into_owned(),
        ];
        expected.sort();
        assert_eq!(left, expected);
    }
}
