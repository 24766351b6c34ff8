//! The repository a command works on: its root (where the manifest is), the loaded manifest,
//! the work folder for logs, staging and the build-tools venv, and the run's one runner.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::input_error;
use crate::manifest::{Manifest, MANIFEST_FILE};
use crate::ops::cache::Cache;
use crate::ops::cmd::Runner;
use crate::python::toolchain::IndexArgs;

pub struct Workspace {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// `$CARGO_TARGET_DIR/xtask` or `<root>/target/xtask`.
    pub work_dir: PathBuf,
    pub runner: Runner,
    /// How many independent steps (plugin builds, platform collections) run at once.
    pub jobs: usize,
    /// Built plugins and archives reused by content (off with `--no-cache`).
    pub cache: Cache,
    /// `--locked`: the committed lock must fit; nothing is resolved again.
    pub locked: bool,
    /// `--offline`: no index is asked; the lock must fit and the wheel store hold its files.
    pub offline: bool,
}

impl Workspace {
    /// Find the manifest (given, or searched upwards from the current folder), load it, and
    /// open a log for `command`.
    pub fn open(manifest: Option<&Path>, command: &str, dry_run: bool, verbose: bool) -> Result<Workspace> {
        let cwd = std::env::current_dir()?;
        let path = match manifest {
            Some(p) => {
                let p = cwd.join(p);
                if !p.is_file() {
                    return Err(input_error(format!("manifest {} does not exist", p.display())));
                }
                p
            }
            None => cwd
                .ancestors()
                .map(|d| d.join(MANIFEST_FILE))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    input_error(format!(
                    "no {MANIFEST_FILE} in {} or any parent folder: run from the plugin repository or pass --manifest",
                    cwd.display()
                ))
                })?,
        };
        let root = path.parent().expect("a file has a parent").to_path_buf();
        let root = root.canonicalize().unwrap_or(root);
        let path = root.join(path.file_name().expect("a file has a name"));
        let manifest = Manifest::load(&path, MANIFEST_FILE).map_err(|e| input_error(format!("{e:#}")))?;
        let work_dir = work_dir(&cwd, &root);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let log = work_dir
            .join("logs")
            .join(format!("{command}-{stamp}-{}.log", std::process::id()));
        Ok(Workspace {
            root,
            manifest,
            cache: Cache::new(&work_dir, true),
            work_dir,
            runner: Runner::new(log, dry_run, verbose),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            locked: false,
            offline: false,
        })
    }

    /// `--jobs`, `--no-cache`, `--locked` and `--offline`.
    pub fn with_run_options(mut self, jobs: Option<usize>, no_cache: bool, locked: bool, offline: bool) -> Workspace {
        if let Some(jobs) = jobs {
            self.jobs = jobs.max(1);
        }
        self.cache = Cache::new(&self.work_dir, !no_cache);
        self.locked = locked || offline;
        self.offline = offline;
        self
    }

    /// Where pip and uv keep their caches (under the work folder), or that they keep none.
    pub fn tool_cache_env(&self) -> Vec<(String, std::ffi::OsString)> {
        crate::ops::cache::tool_cache_env(&self.work_dir, self.cache.enabled())
    }

    pub fn manifest_shown(&self) -> &'static str {
        MANIFEST_FILE
    }

    /// The output folder as an absolute path.
    pub fn output_dir(&self) -> PathBuf {
        normalize(&self.root.join(&self.manifest.release.output))
    }

    /// The top-level names a copy of the plugin folder `dir` leaves out: git's folder, build
    /// output, and the work and output folders when they are inside it (a plugin at the
    /// repository root holds them).
    pub fn copy_skips(&self, dir: &Path) -> Vec<String> {
        let mut skip = vec![".git".to_string(), "target".to_string(), "dist".to_string()];
        for folder in [&self.work_dir, &self.output_dir()] {
            if let Some(name) = folder.strip_prefix(dir).ok().and_then(|r| r.iter().next()) {
                skip.push(name.to_string_lossy().into_owned());
            }
        }
        skip
    }

    /// pip's package sources, from the manifest only.
    pub fn index_args(&self) -> IndexArgs {
        let public = &self.manifest.public;
        IndexArgs {
            index_url: public.index_url.value.clone(),
            extra_index_urls: public.extra_index_urls.iter().map(|u| u.value.clone()).collect(),
            find_links: public.find_links.iter().map(|u| u.value.clone()).collect(),
            offline: self.offline,
        }
    }
}

/// The work folder: `$CARGO_TARGET_DIR/xtask` (relative to `cwd`) or `<root>/target/xtask`.
pub fn work_dir(cwd: &Path, root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => normalize(&cwd.join(dir).join("xtask")),
        _ => root.join("target").join("xtask"),
    }
}

/// Resolve `.` and `..` without touching the file system (the folder may not exist yet), so
/// that `<root>/../artifacts` is seen to be outside the root.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(
            normalize(Path::new("/repo/./x/../../artifacts")),
            PathBuf::from("/artifacts")
        );
        assert_eq!(normalize(Path::new("/repo/dist")), PathBuf::from("/repo/dist"));
    }
}
