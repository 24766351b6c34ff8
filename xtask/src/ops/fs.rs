//! File-system side effects: staging folders, atomic writes, moving finished outputs into
//! place. A file only ever appears under its final name complete.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A private working folder for one run, removed when dropped (on success and on failure).
pub struct Staging {
    path: PathBuf,
}

impl Staging {
    /// Create `parent/<prefix>-<pid>-<nanos>`.
    pub fn create(parent: &Path, prefix: &str) -> Result<Staging> {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-{}-", std::process::id()))
            .tempdir_in(parent)
            .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
        Ok(Staging { path: dir.keep() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Whether files can be created in `dir` (or, if it does not exist yet, in its nearest
/// existing parent): creates and removes a temporary file.
pub fn probe_writable(dir: &Path) -> Result<(), String> {
    let existing = dir.ancestors().find(|d| d.is_dir()).ok_or("no parent folder exists")?;
    tempfile::Builder::new()
        .prefix(".xtask-probe-")
        .tempfile_in(existing)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Make a file executable (rwxr-xr-x); a no-op where permissions have no such bit.
pub fn set_executable(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    let _ = path;
    Ok(())
}

/// Create a folder and its parents.
pub fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).with_context(|| format!("cannot create the folder {}", path.display()))
}

/// Names of the entries of a folder, sorted.
pub fn file_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Copy a file (within the staging area).
pub fn copy_file(src: &Path, dest: &Path) -> Result<()> {
    fs::copy(src, dest).with_context(|| format!("cannot copy {} to {}", src.display(), dest.display()))?;
    Ok(())
}

/// Rename a file (within the staging area).
pub fn rename(src: &Path, dest: &Path) -> Result<()> {
    fs::rename(src, dest).with_context(|| format!("cannot move {} to {}", src.display(), dest.display()))
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename. A file
/// that is replaced keeps its permissions (an executable stays executable).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    staged_beside(path, bytes)?
        .persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A synced temporary file next to `dest` holding `bytes`, with `dest`'s permissions if it
/// exists and rw-r--r-- otherwise (temporary files start private).
fn staged_beside(dest: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(dest)))
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {} (is the disk full?)", dest.display()))?;
    let perms = match fs::metadata(dest) {
        Ok(meta) => meta.permissions(),
        Err(_) => default_permissions(tmp.as_file())?,
    };
    fs::set_permissions(tmp.path(), perms).with_context(|| format!("cannot write {}", dest.display()))?;
    Ok(tmp)
}

#[cfg(unix)]
fn default_permissions(_: &fs::File) -> Result<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(file: &fs::File) -> Result<fs::Permissions> {
    Ok(file.metadata()?.permissions())
}

/// Replace the contents of several files, all or nothing: new contents go to temporary files
/// next to each, which are renamed over the originals only when all are written; if a rename
/// fails, the files already replaced get their old bytes back. Permissions are kept.
pub fn replace_files(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let mut staged = Vec::new();
    for (path, bytes) in files {
        let old = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        staged.push((staged_beside(path, bytes)?, path, old));
    }
    let mut done: Vec<(&PathBuf, Vec<u8>)> = Vec::new();
    for (tmp, path, old) in staged {
        if let Err(e) = tmp.persist(path) {
            for (p, bytes) in done {
                let _ = fs::write(p, bytes);
            }
            return Err(e.error).with_context(|| format!("cannot write {}; no file was changed", path.display()));
        }
        done.push((path, old));
    }
    Ok(())
}

/// Give a finished temporary file ordinary permissions (rw-r--r--; temporary files start
/// private) and rename it to its final name.
pub fn persist(tmp: tempfile::NamedTempFile, dest: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set permissions of {}", dest.display()))?;
    }
    tmp.persist(dest)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", dest.display()))?;
    Ok(())
}

/// Move finished files to their destinations, replacing what is there, all or nothing: each
/// is first brought next to its destination under a temporary name (a rename, or a copy
/// across file systems), and only when all are there are they renamed to their final names.
/// On failure no destination is left holding a new file, a file that was there before is
/// back, and no temporary file (nor a folder it created) remains.
pub fn move_all_into_place(moves: &[(PathBuf, PathBuf)]) -> Result<()> {
    // Folders this creates (a set's folder in the output folder) go again if it fails.
    let mut created: Vec<&Path> = moves
        .iter()
        .filter_map(|(_, dest)| dest.parent())
        .filter(|dir| !dir.exists())
        .collect();
    created.sort();
    created.dedup();
    let result = move_all(moves);
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

fn move_all(moves: &[(PathBuf, PathBuf)]) -> Result<()> {
    let mut staged = Vec::new();
    for (src, dest) in moves {
        staged.push((stage_next_to(src, dest)?, dest));
    }
    // A file already at a destination is set aside first, and put back if a later rename fails.
    let mut done: Vec<(&PathBuf, Option<PathBuf>)> = Vec::new();
    for (tmp, dest) in staged {
        let aside = dest.with_file_name(format!(".{}.{}.previous", file_name(dest), std::process::id()));
        let had = dest.is_file() && fs::rename(dest, &aside).is_ok();
        done.push((dest, had.then_some(aside)));
        if let Err(e) = persist(tmp, dest) {
            for (d, previous) in done.into_iter().rev() {
                let _ = fs::remove_file(d);
                if let Some(previous) = previous {
                    let _ = fs::rename(previous, d);
                }
            }
            return Err(e);
        }
    }
    for (_, previous) in done {
        if let Some(previous) = previous {
            let _ = fs::remove_file(previous);
        }
    }
    for (src, _) in moves {
        let _ = fs::remove_file(src);
    }
    Ok(())
}

/// A temporary file in `dest`'s folder holding the bytes of `src`.
fn stage_next_to(src: &Path, dest: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create the output folder {}", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(dest)))
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    match fs::rename(src, tmp.path()) {
        Ok(()) => return Ok(tmp),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {}
        Err(e) => return Err(e).with_context(|| format!("cannot move {} to {}", src.display(), dir.display())),
    }
    let copied = (|| -> io::Result<()> {
        let mut reader = fs::File::open(src)?;
        let mut writer = tmp.as_file();
        io::copy(&mut reader, &mut writer)?;
        writer.sync_all()
    })();
    copied.with_context(|| format!("cannot write {} (is the disk full?)", dest.display()))?;
    Ok(tmp)
}

/// Set the modification time of every file and folder below `dir` (build inputs get one
/// fixed time so that builds of the same commit are byte-identical).
pub fn set_mtimes(dir: &Path, unix_time: u64) -> Result<()> {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_time);
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if entry.file_type().is_symlink() {
            continue;
        }
        let file = fs::File::options()
            .read(true)
            .write(entry.file_type().is_file())
            .open(entry.path())
            .with_context(|| format!("cannot open {}", entry.path().display()))?;
        file.set_modified(time)
            .with_context(|| format!("cannot set the time of {}", entry.path().display()))?;
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Human-readable size: `1.4 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// sha256 of a file, hex, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_atomic_write_keeps_the_mode_of_the_file_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("run.py");
        fs::write(&script, "old").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&script, b"new").unwrap();
        assert_eq!(fs::read(&script).unwrap(), b"new");
        assert_eq!(fs::metadata(&script).unwrap().permissions().mode() & 0o777, 0o755);
        let fresh = dir.path().join("fresh.txt");
        write_atomic(&fresh, b"x").unwrap();
        assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o644);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
    }

    #[test]
    fn moving_several_files_is_all_or_nothing() {
        let src = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("a"), b"a").unwrap();
        std::fs::write(src.path().join("b"), b"b").unwrap();
        // The second destination cannot be created: its parent is a file.
        std::fs::write(out.path().join("blocker"), b"").unwrap();
        let moves = vec![
            (src.path().join("a"), out.path().join("a")),
            (src.path().join("b"), out.path().join("blocker/b")),
        ];
        assert!(move_all_into_place(&moves).is_err());
        let left: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["blocker"], "no new file and no temporary file in the output");

        let moves = vec![(src.path().join("b"), out.path().join("b"))];
        move_all_into_place(&moves).unwrap();
        assert_eq!(std::fs::read(out.path().join("b")).unwrap(), b"b");
        assert!(!src.path().join("b").exists());

        // A file it would replace comes back when a later rename fails (here: onto a folder).
        std::fs::write(src.path().join("c"), b"new").unwrap();
        std::fs::write(src.path().join("d"), b"d").unwrap();
        std::fs::create_dir_all(out.path().join("d/full")).unwrap();
        let moves = vec![
            (src.path().join("c"), out.path().join("b")),
            (src.path().join("d"), out.path().join("d")),
        ];
        assert!(move_all_into_place(&moves).is_err());
        assert_eq!(
            std::fs::read(out.path().join("b")).unwrap(),
            b"b",
            "the earlier file is back"
        );
        let mut left: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["b", "blocker", "d"], "nothing set aside is left over");
    }
}
