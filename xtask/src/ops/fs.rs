//! File-system side effects: atomic writes, moving finished outputs into place, links and
//! hashes of stored files. A file only ever appears under its final name complete. (Staging
//! folders: `ops/staging.rs`.)

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Whether the process `pid` is running (on systems where that cannot be told: yes).
fn is_running(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        alive || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Clean what dead runs left in `dir` while writing files into it: temporary files
/// (`.<name>.<pid>.<random>.partial`) are removed; a file set aside to be replaced
/// (`.<name>.<pid>.previous`) goes back under its name if nothing took its place, else it is
/// removed. Only files of processes that are no longer running are touched.
pub fn clean_dead_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(hidden) = name.strip_prefix('.') else {
            continue;
        };
        if let Some(rest) = hidden.strip_suffix(".partial") {
            let dead = rest
                .rsplit_once('.')
                .and_then(|(front, _random)| front.rsplit_once('.'))
                .and_then(|(_, pid)| pid.parse::<u32>().ok())
                .is_some_and(|pid| !is_running(pid));
            if dead {
                let _ = fs::remove_file(entry.path());
            }
        } else if let Some(rest) = hidden.strip_suffix(".previous") {
            let Some((original, pid)) = rest.rsplit_once('.') else {
                continue;
            };
            if pid.parse::<u32>().is_ok_and(|pid| !is_running(pid)) {
                let dest = dir.join(original);
                if dest.exists() || fs::rename(entry.path(), &dest).is_err() {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
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
        .prefix(&partial_prefix(dest))
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

/// Temporary files next to `dest` are named `.<name>.<pid>.<random>.partial`: hidden, never
/// taken for the real file, and removable by a later run once this process is gone.
fn partial_prefix(dest: &Path) -> String {
    format!(".{}.{}.", file_name(dest), std::process::id())
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
        clean_dead_leftovers(path.parent().unwrap_or(Path::new(".")));
        // A file that is not there (a removed one restored) is created.
        let old = match fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        staged.push((staged_beside(path, bytes)?, path, old));
    }
    let mut done: Vec<(&PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (tmp, path, old) in staged {
        if let Err(e) = tmp.persist(path) {
            for (p, bytes) in done {
                let _ = match bytes {
                    Some(bytes) => fs::write(p, bytes),
                    None => fs::remove_file(p),
                };
            }
            return Err(e.error).with_context(|| format!("cannot write {}; no file was changed", path.display()));
        }
        done.push((path, old));
        super::faults::point(&format!("replace-{}", done.len()));
    }
    Ok(())
}

/// Remove files (one already gone is fine).
pub fn remove_files(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }
    Ok(())
}

/// Make the entries of a folder durable (a rename or removal in it survives a power loss).
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    let _ = dir;
    Ok(())
}

/// Give a finished temporary file ordinary permissions (rw-r--r--; temporary files start
/// private) and rename it to its final name.
pub fn persist<F>(tmp: tempfile::NamedTempFile<F>, dest: &Path) -> Result<()> {
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
    place_all(moves, true)
}

/// Like [`move_all_into_place`], but the sources stay where they are.
pub fn copy_all_into_place(copies: &[(PathBuf, PathBuf)]) -> Result<()> {
    place_all(copies, false)
}

fn place_all(moves: &[(PathBuf, PathBuf)], remove_sources: bool) -> Result<()> {
    // Folders this creates (a set's folder in the output folder) go again if it fails.
    let mut created: Vec<&Path> = moves
        .iter()
        .filter_map(|(_, dest)| dest.parent())
        .filter(|dir| !dir.exists())
        .collect();
    created.sort();
    created.dedup();
    let result = move_all(moves, remove_sources);
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

fn move_all(moves: &[(PathBuf, PathBuf)], remove_sources: bool) -> Result<()> {
    let mut folders: Vec<&Path> = moves.iter().filter_map(|(_, dest)| dest.parent()).collect();
    folders.dedup();
    for dir in folders {
        clean_dead_leftovers(dir);
    }
    let mut staged = Vec::new();
    for (src, dest) in moves {
        staged.push((stage_next_to(src, dest)?, dest));
        super::faults::point(&format!("stage-{}", staged.len()));
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
        super::faults::point(&format!("move-{}", done.len()));
    }
    for (_, previous) in done {
        if let Some(previous) = previous {
            let _ = fs::remove_file(previous);
        }
    }
    // The sources go only now: until every file is in place, each is still whole where it was.
    for (src, _) in moves.iter().filter(|_| remove_sources) {
        let _ = fs::remove_file(src);
    }
    Ok(())
}

/// A temporary file in `dest`'s folder holding the bytes of `src`: a hard link where both are
/// on one file system (instant, and `src` stays whole until the move is complete), else a copy.
fn stage_next_to(src: &Path, dest: &Path) -> Result<tempfile::NamedTempFile<()>> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create the output folder {}", dir.display()))?;
    let prefix = partial_prefix(dest);
    let placed = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".partial")
        .make_in(dir, |path| {
            let Err(e) = fs::hard_link(src, path) else {
                return Ok(());
            };
            if e.kind() == io::ErrorKind::AlreadyExists {
                return Err(e); // another random name is tried
            }
            let copied = (|| {
                let mut reader = fs::File::open(src)?;
                let mut writer = fs::File::options().write(true).create_new(true).open(path)?;
                io::copy(&mut reader, &mut writer)?;
                writer.sync_all()
            })();
            if copied.is_err() {
                let _ = fs::remove_file(path);
            }
            copied
        });
    placed.with_context(|| format!("cannot write {} (is the disk full?)", dest.display()))
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

/// What identifies the bytes of a file never rewritten in place, for memos that last the run:
/// its device, inode, size and modification time.
pub fn stored_identity(path: &Path) -> Result<String> {
    let meta = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let identity = {
        use std::os::unix::fs::MetadataExt;
        format!("{}:{}:{}:{modified}", meta.dev(), meta.ino(), meta.len())
    };
    #[cfg(not(unix))]
    let identity = format!("{}:{}:{modified}", path.display(), meta.len());
    Ok(identity)
}

/// sha256 of a file that is never rewritten in place (a wheel in the store or a bundle, an
/// archive, a cache entry's file: all written through a new file and a rename), remembered
/// for the run by the file's identity (device, inode, size, modification time), so that the
/// same bytes reached through hard links are read once.
pub fn sha256_stored(path: &Path) -> Result<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let identity = stored_identity(path)?;
    let known = KNOWN.get_or_init(Default::default);
    if let Some(sha) = known.lock().expect("the hash memo").get(&identity) {
        return Ok(sha.clone());
    }
    let sha = sha256_file(path)?;
    known.lock().expect("the hash memo").insert(identity, sha.clone());
    Ok(sha)
}

/// Make `dest` the file `src` (replacing it): a hard link where the file system allows one
/// (no bytes copied), else a copy. For files never rewritten in place (see
/// [`sha256_stored`]), so that both names keep the same bytes.
pub fn link_or_copy(src: &Path, dest: &Path) -> Result<()> {
    if fs::canonicalize(src)
        .ok()
        .is_some_and(|s| fs::canonicalize(dest).ok() == Some(s))
    {
        return Ok(()); // the same name: replacing it would remove it
    }
    match fs::hard_link(src, dest) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(dest).with_context(|| format!("cannot replace {}", dest.display()))?;
            if fs::hard_link(src, dest).is_ok() {
                return Ok(());
            }
        }
        Err(_) => {}
    }
    copy_file(src, dest)
}

/// Copy the folder `src` to `dest` (which must not exist): files with their permissions,
/// symbolic links as links; entries named in `skip` (at the top) are left out.
pub fn copy_tree(src: &Path, dest: &Path, skip: &[&str]) -> Result<()> {
    let walk = walkdir::WalkDir::new(src)
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || !skip.iter().any(|s| e.file_name() == *s));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read {}", src.display()))?;
        let to = dest.join(entry.path().strip_prefix(src).expect("below the root"));
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&to).with_context(|| format!("cannot create {}", to.display()))?;
        } else if kind.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &to)
                .with_context(|| format!("cannot create {}", to.display()))?;
            #[cfg(not(unix))]
            fs::copy(entry.path(), &to).with_context(|| format!("cannot copy {}", to.display()))?;
        } else {
            fs::copy(entry.path(), &to).with_context(|| format!("cannot copy {}", to.display()))?;
        }
    }
    Ok(())
}

/// sha256 of a folder's content: every file's path below it, executable bit and bytes, in
/// path order (times and owners left out); folders named in `skip` are left out.
pub fn folder_digest(dir: &Path, skip: &[&str]) -> Result<String> {
    digest_with(dir, skip, sha256_file)
}

/// [`folder_digest`] of a folder whose files are never rewritten in place (a bundle's), each
/// file hashed once per run ([`sha256_stored`]).
pub fn folder_digest_stored(dir: &Path) -> Result<String> {
    digest_with(dir, &[], sha256_stored)
}

fn digest_with(dir: &Path, skip: &[&str], sha256: fn(&Path) -> Result<String>) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !skip.iter().any(|s| e.file_name() == *s));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let rel = entry.path().strip_prefix(dir).expect("below the root");
        let kind = if entry.file_type().is_symlink() {
            let target = fs::read_link(entry.path())?;
            format!("link {}", target.to_string_lossy())
        } else if entry.file_type().is_file() {
            let exec = is_executable_file(entry.path());
            format!("file {exec} {}", sha256(entry.path())?)
        } else {
            "dir".to_string()
        };
        hasher.update(rel.to_string_lossy().replace('\\', "/").as_bytes());
        hasher.update([0]);
        hasher.update(kind.as_bytes());
        hasher.update([0]);
    }
    Ok(hex(&hasher.finalize()))
}

fn is_executable_file(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_file_has_the_bytes_and_the_hash_of_its_source_until_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dest) = (dir.path().join("a.whl"), dir.path().join("b.whl"));
        write_atomic(&src, b"first").unwrap();
        std::fs::write(&dest, b"an older file of that name").unwrap();
        link_or_copy(&src, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        let first = sha256_stored(&src).unwrap();
        assert_eq!(sha256_stored(&dest).unwrap(), first);
        assert_eq!(first, sha256_file(&src).unwrap());
        // Replaced through a new file and a rename (as every writer here does): a new hash.
        write_atomic(&src, b"second").unwrap();
        assert_eq!(sha256_stored(&src).unwrap(), sha256_file(&src).unwrap());
        assert_ne!(sha256_stored(&src).unwrap(), first);
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            b"first",
            "the other name keeps its bytes"
        );
        link_or_copy(&src, &src).unwrap();
        assert_eq!(
            std::fs::read(&src).unwrap(),
            b"second",
            "a file linked onto itself stays"
        );
    }

    /// Across file systems (a cache on another disk than the work folder) there is no hard
    /// link: the file is copied, with its bytes and mode, replacing an older file of that name.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_link_across_file_systems_is_a_copy() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let shm = Path::new("/dev/shm");
        let here = tempfile::tempdir().unwrap();
        if !shm.is_dir() || fs::metadata(shm).unwrap().dev() == fs::metadata(here.path()).unwrap().dev() {
            eprintln!("skipped: /dev/shm is not another file system here");
            return;
        }
        let other = tempfile::tempdir_in(shm).unwrap();
        let (src, dest) = (other.path().join("a.whl"), here.path().join("a.whl"));
        fs::write(&src, b"wheel bytes").unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(&dest, b"an older file of that name").unwrap();
        assert!(
            fs::hard_link(&src, here.path().join("probe")).is_err(),
            "no link across devices"
        );
        link_or_copy(&src, &dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"wheel bytes");
        assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o755);
        fs::write(&src, b"changed in place").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"wheel bytes", "a copy, not a link");
        let names: Vec<_> = fs::read_dir(here.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.whl"], "no temporary file left");
    }

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
