//! The release lock: one release at a time per repository. A lock file in the git folder
//! holds the owner's pid and start time; a lock whose process is gone is reclaimed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{exit, Classified};

pub struct ReleaseLock {
    path: PathBuf,
}

impl ReleaseLock {
    /// Take the lock at `path`, or fail with exit code 4 naming the holder.
    pub fn acquire(path: &Path) -> Result<ReleaseLock> {
        for _ in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    let started = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    writeln!(file, "pid={}\nstarted={started}", std::process::id())
                        .with_context(|| format!("cannot write the lock {}", path.display()))?;
                    return Ok(ReleaseLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = fs::read_to_string(path).unwrap_or_default();
                    let field = |key: &str| {
                        text.lines()
                            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
                    };
                    let pid = field("pid").and_then(|p| p.parse::<u32>().ok());
                    let started = field("started").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
                    if pid.is_some_and(is_alive) {
                        let (y, m, d) = crate::versions::civil_date(started);
                        let secs = started.rem_euclid(86_400);
                        return Err(anyhow::Error::new(Classified {
                            code: exit::LOCKED,
                            message: format!(
                                "another release is running in this repository (pid {}, started {y:04}-{m:02}-{d:02} \
                                 {:02}:{:02}:{:02} UTC); wait for it to finish, or remove {} if that process is gone",
                                pid.unwrap_or(0),
                                secs / 3600,
                                secs / 60 % 60,
                                secs % 60,
                                path.display()
                            ),
                        }));
                    }
                    eprintln!(
                        "note: reclaiming a stale release lock left by pid {}",
                        pid.map_or("?".into(), |p| p.to_string())
                    );
                    let _ = fs::remove_file(path);
                }
                Err(e) => return Err(e).with_context(|| format!("cannot create the lock {}", path.display())),
            }
        }
        anyhow::bail!("cannot take the release lock {}", path.display())
    }
}

impl Drop for ReleaseLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether a process with this pid exists (Linux: /proc; elsewhere assume it does).
fn is_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}
