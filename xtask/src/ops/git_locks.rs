//! The lock files git leaves when it is killed half-way (`index.lock`, `HEAD.lock`,
//! `refs/heads/main.lock`, `refs/tags/v1.5.0.lock` in a remote it was pushing to,
//! `next-index-<pid>.lock`, `objects/maintenance.lock`): found in a git folder, and removed
//! when the run that made them is dead. git writes no owner into its locks, so a lock counts
//! as left by a dead run when it was made after that run started and no git program is
//! running in the folder (on Linux read from `/proc`; where programs cannot be listed, only
//! the time counts). Anything else is reported, never removed.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The locks of a git folder, sorted by what may be done with them.
#[derive(Debug, Default)]
pub struct Locks {
    /// Made since the dead run started, with no git program running: safe to remove.
    pub stale: Vec<PathBuf>,
    /// Older than the run, or git programs run in the folder: reported, kept.
    pub kept: Vec<String>,
}

/// The git folder's lock files (a `.lock` file anywhere in it but the object store's fan-out
/// folders and the folders of other worktrees, `worktrees/`; the xtask's own release lock
/// excluded), sorted by whether a run that started at `since` (seconds since the epoch) and
/// is dead left them. `work_trees` are where git programs of this repository run (their
/// working folders: every worktree), besides the git folder itself.
pub fn find(git_dir: &Path, work_trees: &[PathBuf], since: u64) -> Locks {
    let mut found = Vec::new();
    collect(git_dir, git_dir, &mut found);
    found.sort();
    let mut locks = Locks::default();
    if found.is_empty() {
        return locks;
    }
    let mut watched: Vec<&Path> = vec![git_dir];
    watched.extend(work_trees.iter().map(PathBuf::as_path));
    let busy = git_programs_in(&watched);
    for lock in found {
        let made = std::fs::metadata(&lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        // One second of slack: file times and the journal's start are both whole seconds.
        if !busy.is_empty() {
            locks.kept.push(format!(
                "{} exists and git is running in that repository ({}): wait for it to end, then run again",
                lock.display(),
                busy.join(", ")
            ));
        } else if made + 1 < since {
            locks.kept.push(format!(
                "{} is older than the interrupted release (made {}): if no git command is running, remove it",
                lock.display(),
                super::lock::utc(made as i64)
            ));
        } else {
            locks.stale.push(lock);
        }
    }
    locks
}

/// Remove the stale locks; the ones removed, or what could not be.
pub fn remove(stale: &[PathBuf]) -> Result<(), String> {
    for lock in stale {
        match std::fs::remove_file(lock) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", lock.display())),
        }
    }
    Ok(())
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            // The object store's fan-out and pack folders hold no locks worth a walk; other
            // worktrees' locks are theirs (a linked worktree's own folder is walked on its own).
            let skipped = dir == root.join("objects") || path == root.join("worktrees");
            if !skipped {
                collect(root, &path, found);
            }
        } else if name.ends_with(".lock") && !(dir == root && name == "xtask-release.lock") {
            found.push(path);
        }
    }
}

/// The git programs (`git`, `git-receive-pack`, ...) whose working folder is inside one of
/// `dirs`, as "git (pid N)".
fn git_programs_in(dirs: &[&Path]) -> Vec<String> {
    let mut busy = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return busy;
    };
    let dirs: Vec<PathBuf> = dirs.iter().filter_map(|d| d.canonicalize().ok()).collect();
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == std::process::id().to_string() {
            continue;
        }
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        let comm = comm.trim();
        if comm != "git" && !comm.starts_with("git-") {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if dirs.iter().any(|d| cwd.starts_with(d)) {
            busy.push(format!("{comm} (pid {pid})"));
        }
    }
    busy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_made_since_a_dead_run_are_stale_and_older_ones_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        for file in [
            "index.lock",
            "HEAD.lock",
            "xtask-release.lock",
            "refs/heads/main.lock",
            "refs/tags/v1.0.lock",
            "objects/maintenance.lock",
            "objects/ab/cdef.lock",
            "worktrees/other/index.lock",
            "refs/heads/main",
        ] {
            let path = git.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let now = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let locks = find(git, &[], now - 10);
        let names: Vec<String> = locks
            .stale
            .iter()
            .map(|p| p.strip_prefix(git).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "HEAD.lock",
                "index.lock",
                "objects/maintenance.lock",
                "refs/heads/main.lock",
                "refs/tags/v1.0.lock"
            ]
        );
        assert!(locks.kept.is_empty());
        // A run that started after the locks were made did not make them.
        let later = find(git, &[], now + 3600);
        assert!(later.stale.is_empty());
        assert_eq!(later.kept.len(), 5);
        assert!(
            later.kept[0].contains("is older than the interrupted release"),
            "{:?}",
            later.kept
        );
        remove(&locks.stale).unwrap();
        assert!(!git.join("index.lock").exists() && git.join("xtask-release.lock").exists());
    }
}
