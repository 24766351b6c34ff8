//! `cargo xtask lock`: resolve every platform uv can resolve for (the host included) and
//! write the repository's locks, `locks/pylock.<platform>.toml` (PEP 751), like Cargo.lock:
//! locked versions are kept while they still fit (`--upgrade`, `--upgrade-package NAME` move
//! them), every locked file is fetched into the wheel store, and the locks are written all
//! at once or not at all. Prints what changed per platform.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::error::precheck_failed;
use crate::manifest::normalize_name;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::plan::{self, Mode, PlanOptions};
use crate::python::lockfile::{lock_path, Lock};
use crate::steps::{self, Exec, LockUse};

pub struct LockOptions {
    pub upgrade: bool,
    pub upgrade_packages: Vec<String>,
    pub dry_run: bool,
}

pub fn run(ws: &Workspace, opts: &LockOptions) -> Result<()> {
    if let Some(bad) = opts
        .upgrade_packages
        .iter()
        .find(|p| !crate::python::plugins::is_distribution_name(p))
    {
        return Err(crate::error::input_error(format!(
            "--upgrade-package {bad:?}: not a package name (ASCII letters and digits, with `.`, `_` or `-` between them)"
        )));
    }
    if ws.offline && (opts.upgrade || !opts.upgrade_packages.is_empty()) {
        return Err(crate::error::input_error(
            "--offline: --upgrade and --upgrade-package resolve again, which needs the index",
        ));
    }
    let plan_opts = PlanOptions {
        mode: Mode::Nightly {
            build_number: Some(0),
            upload: false,
        },
        // Every platform and the sources, as a full nightly: the plan's checks of the output
        // folder then never object to a set a partial run would leave half rebuilt.
        platforms: Vec::new(),
        release_dir: None,
        no_sources: false,
        no_sign: true,
    };
    let prepared = plan::compute(ws, &plan_opts)?;
    let (Some(plan), Some(tools), true) = (prepared.plan, prepared.tools, prepared.problems.is_empty()) else {
        return Err(precheck_failed("cannot lock the dependencies", prepared.problems));
    };
    let (stage, tools_python) = steps::prepare(ws, &tools, &plan, "lock")?;
    let exec = Exec {
        ws,
        plan: &plan,
        git: Git::new(&ws.runner, tools.git.clone(), &ws.root),
        stage: stage.path(),
        tools_python,
    };
    let how = LockUse::Write {
        upgrade: opts.upgrade,
        upgrade_packages: opts.upgrade_packages.clone(),
    };
    let settled = steps::settle(&exec, &how)?;
    if !settled.problems.is_empty() {
        return Err(precheck_failed(
            "the dependencies cannot be locked; no lock was written",
            settled.problems,
        ));
    }
    let olds: Vec<Option<Lock>> = settled
        .locks
        .iter()
        .map(|(platform, _)| {
            let file = lock_path(platform);
            std::fs::read_to_string(ws.root.join(&file))
                .ok()
                .and_then(|t| Lock::parse(&t, &file).ok())
        })
        .collect();
    let replaced = refusals(opts, &settled.locks, &olds);
    let mut writes = Vec::new();
    for ((platform, lock), old) in settled.locks.iter().zip(&olds) {
        let file = lock_path(platform);
        let changes = changes(old.as_ref(), lock);
        let rewritten = old.as_ref().is_none_or(|o| o.text != lock.text);
        crate::ops::ui::summary!(
            "{file}: {} package(s){}",
            lock.packages.len(),
            match (changes.is_empty(), rewritten) {
                (true, false) => ", unchanged".to_string(),
                // What it records was resolved from changed, not what it holds.
                (true, true) => ", the same packages; its [tool.xtask] record rewritten".to_string(),
                (false, _) => format!(": {}", changes.join(", ")),
            }
        );
        if rewritten {
            writes.push((ws.root.join(&file), lock.text.clone().into_bytes()));
        }
    }
    if !replaced.is_empty() {
        return Err(precheck_failed("the locks were not written", replaced));
    }
    if settled.locks.is_empty() {
        crate::ops::ui::summary!("no platform is resolved by uv (see [platforms]): nothing to lock");
    }
    if opts.dry_run || writes.is_empty() {
        return Ok(());
    }
    crate::ops::fs::create_dir(&ws.root.join(crate::python::lockfile::LOCKS_DIR))?;
    crate::ops::fs::replace_files(&writes)?;
    crate::ops::ui::summary!("wrote {} lock file(s); commit them", writes.len());
    Ok(())
}

/// What stops the new locks from being written: like Cargo's checksum check, a locked file the
/// index now serves with other bytes under the same name, unless accepted (`--upgrade`,
/// `--upgrade-package NAME`); like `cargo update -p`, an `--upgrade-package` name no lock holds
/// before or after.
fn refusals(opts: &LockOptions, locks: &[(String, Lock)], olds: &[Option<Lock>]) -> Vec<String> {
    let mut out = Vec::new();
    let accepted = |name: &str| opts.upgrade || opts.upgrade_packages.iter().any(|p| normalize_name(p) == name);
    for ((platform, lock), old) in locks.iter().zip(olds) {
        for (name, version, file) in old.as_ref().map(|o| replaced_files(o, lock)).unwrap_or_default() {
            if !accepted(&name) {
                out.push(format!(
                    "{}: {name} {version}: the index now serves {file} with another sha256 than the lock records; if \
                     that is expected (the file was republished), accept it with `cargo xtask lock --upgrade-package \
                     {name}`",
                    lock_path(platform)
                ));
            }
        }
    }
    for name in &opts.upgrade_packages {
        let held = |lock: &Lock| lock.packages.iter().any(|p| p.name == normalize_name(name));
        if !olds.iter().flatten().any(held) && !locks.iter().any(|(_, lock)| held(lock)) {
            out.push(format!(
                "--upgrade-package {name}: no lock holds a package {}; `lock` without it locks what the requirements need",
                normalize_name(name)
            ));
        }
    }
    out
}

/// `name old -> new`, `+name version`, `-name version` between two locks; for a version kept,
/// a file whose sha256 changed (the index replaced it under the same name), files added or
/// gone, and how many files are now fetched from another URL (an index that moved).
fn changes(old: Option<&Lock>, new: &Lock) -> Vec<String> {
    let mut out = version_changes(old, new);
    let Some(old) = old else {
        return out;
    };
    let mut moved = 0;
    for p in &new.packages {
        let Some(before) = old.packages.iter().find(|o| o.name == p.name && o.version == p.version) else {
            continue;
        };
        let (was, now) = (files(before), files(p));
        for (file, (url, sha256)) in &now {
            match was.get(file) {
                Some((_, old_sha)) if old_sha != sha256 => {
                    out.push(format!("{} {}: {file} has another sha256", p.name, p.version))
                }
                Some((old_url, _)) if old_url != url => moved += 1,
                Some(_) => {}
                None => out.push(format!("{} {}: +{file}", p.name, p.version)),
            }
        }
        for file in was.keys().filter(|f| !now.contains_key(*f)) {
            out.push(format!("{} {}: -{file}", p.name, p.version));
        }
    }
    if moved > 0 {
        out.push(format!("{moved} file(s) now from another URL"));
    }
    out
}

/// (package, version, file) of every file a kept version still has under the same name but
/// with another sha256.
fn replaced_files(old: &Lock, new: &Lock) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in &new.packages {
        let Some(before) = old.packages.iter().find(|o| o.name == p.name && o.version == p.version) else {
            continue;
        };
        let was = files(before);
        for (file, (_, sha256)) in files(p) {
            if was.get(file).is_some_and(|(_, old)| *old != sha256) {
                out.push((p.name.clone(), p.version.clone(), file.to_string()));
            }
        }
    }
    out
}

/// A locked package's files: name -> (URL, sha256).
fn files(p: &crate::python::lockfile::LockedPackage) -> BTreeMap<&str, (&str, &str)> {
    p.wheels
        .iter()
        .chain(&p.sdist)
        .map(|f| (f.name.as_str(), (f.url.as_str(), f.sha256.as_str())))
        .collect()
}

/// `name old -> new`, `+name version`, `-name version` between two locks.
fn version_changes(old: Option<&Lock>, new: &Lock) -> Vec<String> {
    let versions = |lock: &Lock| -> BTreeMap<String, String> {
        lock.packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect()
    };
    let before = old.map(versions).unwrap_or_default();
    let after = versions(new);
    let mut out = Vec::new();
    for (name, version) in &after {
        match before.get(name) {
            Some(v) if v != version => out.push(format!("{name} {v} -> {version}")),
            Some(_) => {}
            None if old.is_some() => out.push(format!("+{name} {version}")),
            None => {}
        }
    }
    for (name, version) in &before {
        if !after.contains_key(name) {
            out.push(format!("-{name} {version}"));
        }
    }
    if old.is_none() {
        out.insert(0, "new".into());
    }
    out
}
