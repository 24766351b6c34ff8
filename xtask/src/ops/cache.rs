//! The work folder's cache: built plugins and written archives stored under the sha256 of
//! everything that decides their bytes (a key), and the caches of pip and uv beside them, all
//! under `<work>/cache/`, bounded in size.
//!
//! An entry is a folder `<work>/cache/<kind>/<key>/` holding its files and `entry.json` (the
//! files' sizes and sha256, and the inputs the key was made of, for people). It is written in a
//! temporary folder and renamed into place, so an entry is complete or absent, and it is never
//! changed afterwards; a reader checks every file's sha256 and drops an entry that does not
//! match. A hit touches `entry.json`, whose time orders eviction (least recently used first).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::fs::{hex, link_or_copy, sha256_file, sha256_stored};

/// Part of every key: a change to how entries are made or laid out starts new keys.
const LAYOUT: &str = "xtask-cache-1";

/// The cache of one run: `None` with `--no-cache` (nothing read, nothing written).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    files: Vec<EntryFile>,
    inputs: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct EntryFile {
    name: String,
    size: u64,
    sha256: String,
}

impl Cache {
    /// The cache under `work_dir`, or none.
    pub fn new(work_dir: &Path, enabled: bool) -> Cache {
        Cache {
            dir: enabled.then(|| work_dir.join("cache")),
        }
    }

    pub fn enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// The folder of compressed bzip2 chunks (`<work>/cache/bz2-chunks`, one file per chunk
    /// by the sha256 of its bytes), or none.
    pub fn chunk_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("bz2-chunks"))
    }

    /// The wheel store's folder (`<work>/cache/wheels`: one folder per sha256), or none.
    pub fn store_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("wheels"))
    }

    /// The key of `inputs` for entries of `kind`: sha256 of the inputs, this program's own
    /// bytes (a changed xtask makes new keys) and the layout.
    pub fn key(kind: &str, inputs: &serde_json::Value) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [LAYOUT, kind, program_fingerprint(), &inputs.to_string()] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hex(&hasher.finalize())
    }

    /// Whether entry `key` is kept (its files are checked when it is fetched).
    pub fn holds(&self, kind: &str, key: &str) -> bool {
        self.entry_dir(kind, key)
            .is_some_and(|d| d.join("entry.json").is_file())
    }

    fn entry_dir(&self, kind: &str, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(kind).join(key))
    }

    /// Copy the files of entry `key` into `dest` and return their names; `None` when there is
    /// no such entry, or it is damaged (then it is removed).
    pub fn fetch(&self, kind: &str, key: &str, dest: &Path) -> Result<Option<Vec<String>>> {
        let Some(dir) = self.entry_dir(kind, key) else {
            return Ok(None);
        };
        let Ok(text) = fs::read_to_string(dir.join("entry.json")) else {
            return Ok(None);
        };
        let entry: Option<Entry> = serde_json::from_str(&text).ok();
        // Every file checked, at once (an entry may hold several large archives).
        let intact = entry.as_ref().is_some_and(|e| {
            std::thread::scope(|scope| {
                let checks: Vec<_> = e
                    .files
                    .iter()
                    .map(|f| {
                        let path = dir.join(&f.name);
                        scope.spawn(move || {
                            fs::metadata(&path).is_ok_and(|m| m.len() == f.size)
                                && sha256_stored(&path).is_ok_and(|h| h == f.sha256)
                        })
                    })
                    .collect();
                checks.into_iter().all(|c| c.join().unwrap_or(false))
            })
        });
        let Some(entry) = entry.filter(|_| intact) else {
            crate::ops::ui::progress!(
                "    the cache entry {} is damaged: removed, building again",
                dir.display()
            );
            let _ = fs::remove_dir_all(&dir);
            return Ok(None);
        };
        fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
        // Copies: what is taken may be delivered to the output folder, where a file changed in
        // place must not change another run's outputs.
        for f in &entry.files {
            fs::copy(dir.join(&f.name), dest.join(&f.name))
                .with_context(|| format!("cannot copy {} from the cache", f.name))?;
        }
        // Recently used: evicted last.
        if let Ok(file) = fs::File::options().append(true).open(dir.join("entry.json")) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Ok(Some(entry.files.into_iter().map(|f| f.name).collect()))
    }

    /// Store `files` as entry `key` (a no-op when it exists, or without a cache), as hard links
    /// where the file system allows: a delivered file changed in place later fails the entry's
    /// sha256 check, and the entry is dropped. A failure to store is reported and otherwise
    /// ignored: the run does not depend on its cache.
    pub fn store(&self, kind: &str, key: &str, files: &[PathBuf], inputs: serde_json::Value) {
        let Some(dir) = self.entry_dir(kind, key) else { return };
        if dir.join("entry.json").is_file() {
            return;
        }
        if let Err(e) = store(&dir, files, inputs) {
            crate::ops::ui::progress!("    could not store {} in the cache: {e:#}", dir.display());
        }
    }
}

fn store(dir: &Path, files: &[PathBuf], inputs: serde_json::Value) -> Result<()> {
    let parent = dir.parent().context("a cache entry has a parent")?;
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a folder in {}", parent.display()))?;
    let mut listed = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .context("a cached file has a name")?
            .to_string_lossy()
            .into_owned();
        listed.push(EntryFile {
            size: fs::metadata(file)?.len(),
            sha256: sha256_stored(file)?,
            name: name.clone(),
        });
        link_or_copy(file, &tmp.path().join(&name)).with_context(|| format!("cannot keep {}", file.display()))?;
    }
    let entry = Entry { files: listed, inputs };
    fs::write(tmp.path().join("entry.json"), serde_json::to_vec_pretty(&entry)?)?;
    match fs::rename(tmp.path(), dir) {
        Ok(()) => {
            // Renamed: the temporary folder is the entry now, not to be removed.
            let _ = tmp.keep();
            Ok(())
        }
        // Another run stored the same entry first.
        Err(_) if dir.join("entry.json").is_file() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot move the entry to {}", dir.display())),
    }
}

/// sha256 of this program's executable (computed once per run), so that entries made by
/// another build of the xtask are never taken.
fn program_fingerprint() -> &'static str {
    static FINGERPRINT: OnceLock<String> = OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| sha256_file(&exe).ok())
            .unwrap_or_else(|| format!("unknown-{}", std::process::id()))
    })
}

/// The environment that points pip and uv at their caches under the work folder, or turns
/// their caches off (`--no-cache`).
pub fn tool_cache_env(work_dir: &Path, enabled: bool) -> Vec<(String, std::ffi::OsString)> {
    let dir = work_dir.join("cache");
    if enabled {
        vec![
            ("PIP_CACHE_DIR".into(), dir.join("pip").into_os_string()),
            ("UV_CACHE_DIR".into(), dir.join("uv").into_os_string()),
        ]
    } else {
        vec![
            ("PIP_NO_CACHE_DIR".into(), "1".into()),
            ("UV_NO_CACHE".into(), "1".into()),
        ]
    }
}

/// What [`prune`] did.
#[derive(Debug, Default, PartialEq)]
pub struct Pruned {
    pub entries: usize,
    pub tool_files: usize,
    pub uv_cleared: bool,
    pub size_after: u64,
}

/// Keep `<work>/cache` within `max_bytes`: least recently used entries first, then pip's
/// oldest files (each an independent cache record), and last uv's cache as a whole (its
/// entries link to each other, so it is never cut in part).
pub fn prune(work_dir: &Path, max_bytes: u64) -> Result<Pruned> {
    let dir = work_dir.join("cache");
    let mut pruned = Pruned::default();
    let mut total = folder_size(&dir);
    if total <= max_bytes {
        pruned.size_after = total;
        return Ok(pruned);
    }
    // Our entries, by last use.
    let mut entries: Vec<(std::time::SystemTime, PathBuf, u64)> = Vec::new();
    for kind in ["builds", "archives", "runs", "wheels", "sdist-wheels", "bz2-chunks"] {
        let Ok(read) = fs::read_dir(dir.join(kind)) else {
            continue;
        };
        for e in read.flatten() {
            let path = e.path();
            let used = last_use(&path);
            entries.push((used, path.clone(), folder_size(&path)));
        }
    }
    // pip's files, by age.
    let mut pip: Vec<(std::time::SystemTime, PathBuf, u64)> = walkdir::WalkDir::new(dir.join("pip"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, e.into_path(), meta.len()))
        })
        .collect();
    entries.sort();
    pip.sort();
    for (_, path, size) in entries {
        if total <= max_bytes {
            break;
        }
        // An entry is a folder; a compressed chunk a file.
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if removed.is_ok() {
            total = total.saturating_sub(size);
            pruned.entries += 1;
        }
    }
    for (_, path, size) in pip {
        if total <= max_bytes {
            break;
        }
        if fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(size);
            pruned.tool_files += 1;
        }
    }
    let uv = dir.join("uv");
    if total > max_bytes && uv.exists() {
        let size = folder_size(&uv);
        // Moved aside first, so that a uv started meanwhile sees no half-removed cache.
        let aside = dir.join(format!(".uv-removed-{}", std::process::id()));
        if fs::rename(&uv, &aside).is_ok() {
            let _ = fs::remove_dir_all(&aside);
            total = total.saturating_sub(size);
            pruned.uv_cleared = true;
        }
    }
    pruned.size_after = total;
    Ok(pruned)
}

/// When an entry was last used: its `entry.json`'s time, or (the wheel store's entries,
/// touched when taken) the newest time of its files, or a chunk file's own time.
fn last_use(entry: &Path) -> std::time::SystemTime {
    let time = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if entry.is_file() {
        return time(entry).unwrap_or(std::time::UNIX_EPOCH);
    }
    time(&entry.join("entry.json"))
        .or_else(|| {
            fs::read_dir(entry)
                .ok()?
                .flatten()
                .filter_map(|f| time(&f.path()))
                .max()
        })
        .unwrap_or(std::time::UNIX_EPOCH)
}

/// Bytes of the files below `dir` (0 when it does not exist).
pub fn folder_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn an_entry_comes_back_byte_for_byte_and_a_damaged_one_is_dropped() {
        let work = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let cache = Cache::new(work.path(), true);
        let key = Cache::key("builds", &serde_json::json!({"tree": "abc"}));
        assert_ne!(key, Cache::key("builds", &serde_json::json!({"tree": "abd"})));
        let dest = work.path().join("dest");
        assert_eq!(cache.fetch("builds", &key, &dest).unwrap(), None);
        let a = file(src.path(), "a-1.0.tar.gz", b"sdist");
        let b = file(src.path(), "a-1.0-py3-none-any.whl", b"wheel");
        cache.store("builds", &key, &[a, b], serde_json::json!({"tree": "abc"}));
        let got = cache.fetch("builds", &key, &dest).unwrap().unwrap();
        assert_eq!(got, ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl"]);
        assert_eq!(fs::read(dest.join("a-1.0-py3-none-any.whl")).unwrap(), b"wheel");

        // A file of the entry changed behind its back: not taken, and the entry is gone.
        fs::write(
            work.path().join("cache/builds").join(&key).join("a-1.0.tar.gz"),
            b"sdisT",
        )
        .unwrap();
        assert_eq!(cache.fetch("builds", &key, &work.path().join("d2")).unwrap(), None);
        assert!(!work.path().join("cache/builds").join(&key).exists());

        // --no-cache: nothing stored, nothing read.
        let off = Cache::new(work.path(), false);
        off.store("builds", "k", &[src.path().join("a-1.0.tar.gz")], serde_json::json!({}));
        assert!(!work.path().join("cache/builds/k").exists());
    }

    #[test]
    fn prune_evicts_the_least_recently_used_entries_first() {
        let work = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let cache = Cache::new(work.path(), true);
        let big = file(src.path(), "big.whl", &vec![7u8; 10_000]);
        for key in ["old", "mid", "new"] {
            cache.store("archives", key, std::slice::from_ref(&big), serde_json::json!({}));
            let entry = work.path().join("cache/archives").join(key).join("entry.json");
            let age = match key {
                "old" => 300,
                "mid" => 200,
                _ => 100,
            };
            fs::File::options()
                .append(true)
                .open(entry)
                .unwrap()
                .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(age))
                .unwrap();
        }
        // "old" used just now: "mid" goes first.
        cache.fetch("archives", "old", &work.path().join("d")).unwrap().unwrap();
        let pruned = prune(work.path(), 25_000).unwrap();
        assert_eq!(pruned.entries, 1);
        assert!(!work.path().join("cache/archives/mid").exists());
        assert!(work.path().join("cache/archives/old").exists());
        assert!(work.path().join("cache/archives/new").exists());
        assert!(pruned.size_after <= 25_000);
        assert_eq!(prune(work.path(), 1_000_000).unwrap().entries, 0);
    }
}
