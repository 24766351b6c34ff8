//! The wheel store: every public file a lock names, kept once under its sha256
//! (`<work>/cache/wheels/<sha256>/<file>`), shared by platforms and runs, so a locked run
//! takes what it needs without asking an index; pruned with the other caches. With
//! `--no-cache` the store is the run's staging folder. Files are fetched by the URL the lock
//! names (`fetch_files.py`: nothing is built or run, sdists included) and checked against
//! their sha256 when fetched and whenever they are taken.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::exec::Exec;
use crate::ops::cmd::Cmd;
use crate::ops::fs::{create_dir, sha256_stored, write_atomic};
use crate::python::lockfile::{Lock, LockedFile, LockedPackage};
use crate::python::platform::{marker_environment, tag_priority, wheel_rank};

const FETCH_FILES: &str = include_str!("../python/fetch_files.py");

/// What a platform takes of a locked package: its best wheel for the target, or its sdist
/// when it has no wheel for the target.
#[derive(Debug, Clone)]
pub enum Chosen {
    Wheel(LockedPackage, LockedFile),
    Sdist(LockedPackage, LockedFile),
}

impl Chosen {
    pub fn file(&self) -> &LockedFile {
        match self {
            Chosen::Wheel(_, f) | Chosen::Sdist(_, f) => f,
        }
    }
    pub fn package(&self) -> &LockedPackage {
        match self {
            Chosen::Wheel(p, _) | Chosen::Sdist(p, _) => p,
        }
    }
}

/// Of every package of `lock` whose marker holds for the target: the wheel its installer
/// would take (tag priority as `packaging.tags` orders it), else the sdist. Packages with
/// neither come back apart.
pub fn choose(lock: &Lock, target: &crate::manifest::Platform) -> (Vec<Chosen>, Vec<LockedPackage>) {
    use std::str::FromStr;
    let priority = tag_priority(target);
    let env = marker_environment(target);
    let mut chosen = Vec::new();
    let mut without = Vec::new();
    for p in &lock.packages {
        let applies = p
            .marker
            .as_deref()
            .is_none_or(|m| pep508_rs::MarkerTree::from_str(m).map_or(true, |tree| tree.evaluate(&env, &[])));
        if !applies {
            continue;
        }
        let best = p
            .wheels
            .iter()
            .filter_map(|w| wheel_rank(&w.name, &priority).map(|r| (r, w)))
            .min_by_key(|(r, _)| *r);
        match (best, &p.sdist) {
            (Some((_, w)), _) => chosen.push(Chosen::Wheel(p.clone(), w.clone())),
            (None, Some(s)) => chosen.push(Chosen::Sdist(p.clone(), s.clone())),
            (None, None) => without.push(p.clone()),
        }
    }
    (chosen, without)
}

/// The store's folder: the cache's, or the staging folder's with `--no-cache`.
fn store_root(exec: &Exec) -> PathBuf {
    exec.ws
        .cache
        .store_dir()
        .unwrap_or_else(|| exec.stage.join("downloads"))
}

/// Where the store keeps `file` (whether or not it is there).
pub fn stored_path(exec: &Exec, file: &LockedFile) -> PathBuf {
    store_root(exec).join(&file.sha256).join(&file.name)
}

/// Every file of `files` in the store, fetched when missing (all at once). With `--offline`
/// a missing file is an error that lists every missing file.
pub fn ensure(exec: &Exec, files: &[&LockedFile]) -> Result<()> {
    let missing: Vec<&LockedFile> = files
        .iter()
        .copied()
        .filter(|f| !stored_path(exec, f).is_file())
        .collect();
    if exec.ws.offline {
        // Nothing can be fetched again: a damaged copy is as missing, and said now, before
        // anything is built (the hash is remembered for the run: taking the file reads it
        // no more).
        let mut unusable: Vec<String> = missing.iter().map(|f| f.name.clone()).collect();
        for f in files.iter().filter(|f| !missing.contains(f)) {
            let path = stored_path(exec, f);
            mark_used(&path);
            if sha256_stored(&path)? != f.sha256 {
                unusable.push(format!("{} (damaged)", f.name));
            }
        }
        if !unusable.is_empty() {
            bail!(
                "--offline: {} locked file(s) are not in the wheel store ({}) or are damaged there: {}; run once \
                 without --offline to fetch them",
                unusable.len(),
                store_root(exec).display(),
                unusable.join(", ")
            );
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut listing = Vec::new();
    for f in &missing {
        let path = stored_path(exec, f);
        create_dir(path.parent().context("a stored file has a folder")?)?;
        listing.push(serde_json::json!({"url": f.url, "sha256": f.sha256, "dest": path}));
    }
    let list = exec.stage.join(format!("fetch-{}.json", std::process::id()));
    write_atomic(&list, serde_json::to_string(&listing)?.as_bytes())?;
    let urls = serde_json::to_string(&exec.plan.index.expanded_urls()?)?;
    let out = exec.ws.runner.read(
        &Cmd::new(
            &exec.tools_python,
            format!("fetch {} locked file(s) into the wheel store", missing.len()),
        )
        .envs([("XTASK_INDEX_URLS", urls)])
        .args(["-I", "-c", FETCH_FILES])
        .arg(&list),
    )?;
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("the file fetcher printed unexpected output")?;
    let failed: Vec<String> = report["failed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} ({})",
                f["url"].as_str().unwrap_or_default(),
                f["error"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if !failed.is_empty() {
        let refused = failed
            .iter()
            .any(|f| f.contains("HTTP Error 401") || f.contains("HTTP Error 403"));
        let advice = if refused {
            ". The index refuses the login: check the user and password that [public] index-url and \
             extra-index-urls take from the environment (${VAR})"
        } else {
            ""
        };
        bail!(
            "cannot fetch {} locked file(s): {}{advice}",
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

/// The stored copy of `file`, checked against its sha256 (a damaged copy is removed and the
/// file fetched again) and marked as used.
pub fn take(exec: &Exec, file: &LockedFile) -> Result<PathBuf> {
    let path = stored_path(exec, file);
    mark_used(&path);
    if !exec.ws.offline && path.is_file() && sha256_stored(&path)? != file.sha256 {
        crate::ops::ui::progress!("    {} in the wheel store is damaged: fetched again", file.name);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    ensure(exec, &[file])?;
    Ok(path)
}

/// Recently used: pruned last. One time for the whole run, set before the file is hashed: its
/// time is part of what the run remembers of the hash, so a wheel two platforms take (and its
/// links in the bundles) is read once.
fn mark_used(path: &Path) {
    static TAKEN: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(*TAKEN.get_or_init(std::time::SystemTime::now));
    }
}

/// The cache key of the wheel built for `target` from a locked sdist, and what it is made of.
pub fn sdist_wheel_key(
    exec: &Exec,
    target: &crate::manifest::Platform,
    file: &crate::python::lockfile::LockedFile,
) -> (String, serde_json::Value) {
    let inputs = serde_json::json!({
        "sdist": file.sha256, "target": target.tags, "python": target.series(),
        "abi": target.abi, "host": exec.on_host(&target.name),
    });
    (crate::ops::cache::Cache::key("sdist-wheels", &inputs), inputs)
}
