//! The release lock: one release at a time per repository. An OS file lock (flock) on a file
//! in the git folder, so it is released when its holder exits, however it exits; the file
//! holds the holder's pid and start time for the message a second run shows. The file is
//! never deleted (a deleted lock file could be locked twice).

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use anyhow::{Context, Result};

use crate::error::{exit, Classified};

pub struct ReleaseLock {
    file: File,
}

impl ReleaseLock {
    /// Take the lock at `path`, or fail with exit code 4 naming the holder.
    pub fn acquire(path: &Path) -> Result<ReleaseLock> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open the lock {}", path.display()))?;
        let mut previous = String::new();
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let _ = file.read_to_string(&mut previous);
                let (pid, started) = holder(&previous);
                return Err(anyhow::Error::new(Classified {
                    code: exit::LOCKED,
                    message: format!(
                        "another release is running in this repository (pid {pid}, started {started}); \
                         wait for it to finish"
                    ),
                }));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let _ = file.read_to_string(&mut previous);
        if !previous.trim().is_empty() {
            eprintln!(
                "note: reclaiming a stale release lock left by pid {} (it is no longer running)",
                holder(&previous).0
            );
        }
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "pid={}\nstarted={started}", std::process::id())
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.sync_all()?;
        Ok(ReleaseLock { file })
    }
}

impl ReleaseLock {
    /// Whether a live process holds the lock at `path` (without taking it).
    pub fn is_held(path: &Path) -> Result<bool> {
        let file = match OpenOptions::new().read(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e).with_context(|| format!("cannot open the lock {}", path.display())),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(false),
            Err(std::fs::TryLockError::WouldBlock) => Ok(true),
            Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
}

impl Drop for ReleaseLock {
    fn drop(&mut self) {
        // Empty means "released cleanly"; the OS lock goes with the file handle.
        let _ = self.file.set_len(0);
    }
}

/// The pid and start time (UTC) a lock file names, for messages.
fn holder(text: &str) -> (String, String) {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
    };
    let pid = field("pid").unwrap_or_else(|| "unknown".into());
    let started = field("started")
        .and_then(|s| s.parse::<i64>().ok())
        .map_or("at an unknown time".into(), utc);
    (pid, started)
}

/// A time (seconds since the epoch) as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(t: i64) -> String {
    let (y, m, d) = super::clock::civil_date(t);
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
