//! Reuse: a nightly or bundle run whose every input is that of an earlier run takes that
//! run's outputs (archives, checksums, notes) from the cache and only delivers them. The key
//! is the plan itself (commit, versions, every edit and step, build tools, platforms, time),
//! each platform's lock as settled for this run (so an unlocked run whose resolution moved
//! makes a new key), the build-tools venv, the repository's tags (backends that read git
//! history) and the xtask itself. Only runs whose last step delivers files of the staging
//! folder are reused (no upload after it, no plugin sdists and wheels delivered from the
//! build folder). Entries are `runs/<key>/` in the cache, checked when taken like the others.

use anyhow::{Context, Result};

use super::exec::{Exec, Report, Timing};
use crate::ops::cache::Cache;
use crate::ops::fs::{create_dir, file_names, write_atomic};
use crate::plan::Step;

const KIND: &str = "runs";
const REPORT: &str = ".xtask-run-report.json";

/// The files the plan's last step delivers, when the run may be reused.
fn delivered(exec: &Exec) -> Option<Vec<String>> {
    match exec.plan.steps.last()? {
        Step::Deliver { files, dists_of } if dists_of.is_empty() => Some(files.clone()),
        _ => None,
    }
}

/// Run a nightly's or bundle's plan: the outputs of an earlier run of the same key delivered
/// when the cache has them, else every step (and its outputs kept); the cache is pruned after,
/// whatever happened.
pub fn run(exec: &Exec) -> Result<Report> {
    let result = run_or_reuse(exec);
    super::execute::prune_cache(exec.ws);
    result
}

fn run_or_reuse(exec: &Exec) -> Result<Report> {
    let key = key(exec)?;
    if let Some(key) = &key {
        if let Some(report) = deliver_reused(exec, key)? {
            return Ok(report);
        }
    }
    let report = super::execute::execute_steps(exec, 0, None)?;
    if let Some(key) = &key {
        keep(exec, key, &report);
    }
    Ok(report)
}

/// The run's key, or `None` when it may not be reused (see the module).
fn key(exec: &Exec) -> Result<Option<String>> {
    if !exec.ws.cache.enabled() || delivered(exec).is_none() {
        return Ok(None);
    }
    let mut locks = Vec::new();
    for p in &exec.plan.platforms {
        let file = super::lock::stage_lock(exec.stage, &p.name);
        locks.push(std::fs::read_to_string(&file).unwrap_or_default());
    }
    let inputs = serde_json::json!({
        "plan": exec.plan,
        "locks": locks,
        "build_tools_venv": exec.tools_python,
        "tags": exec.git.tags()?,
    });
    Ok(Some(Cache::key(KIND, &inputs)))
}

/// The outputs of an earlier run with the same key, delivered into the output folder: its
/// report (the time is this run's), or `None` when there is none.
fn deliver_reused(exec: &Exec, key: &str) -> Result<Option<Report>> {
    let Some(files) = delivered(exec) else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let out = exec.out_dir();
    create_dir(&out)?;
    if exec.ws.cache.fetch(KIND, key, &out)?.is_none() {
        return Ok(None);
    }
    let report_file = out.join(REPORT);
    let text = std::fs::read(&report_file).context("a reused run has no report")?;
    std::fs::remove_file(&report_file).context("cannot remove the reused run's report")?;
    let mut report: Report = serde_json::from_slice(&text).context("a reused run's report is unreadable")?;
    crate::ops::ui::progress!(
        "==> nothing changed since a run of this plan (same commit, versions, locks and tools): its outputs are reused"
    );
    super::deliver::deliver(exec, &files, &[], &mut Report::default())?;
    report.timings = vec![Timing {
        step: "reuse the outputs of a run of the same plan".into(),
        seconds: started.elapsed().as_secs_f64(),
    }];
    Ok(Some(report))
}

/// Keep the delivered outputs of a finished run and its report under `key`; a failure to
/// keep them is reported and otherwise ignored (the run does not depend on its cache).
fn keep(exec: &Exec, key: &str, report: &Report) {
    if let Err(e) = try_keep(exec, key, report) {
        crate::ops::ui::progress!("    could not keep this run's outputs in the cache: {e:#}");
    }
}

fn try_keep(exec: &Exec, key: &str, report: &Report) -> Result<()> {
    let Some(files) = delivered(exec) else {
        return Ok(());
    };
    let report_file = exec.stage.join(REPORT);
    write_atomic(&report_file, &serde_json::to_vec(report)?)?;
    let set = exec.set_dir();
    let present = file_names(&set)?;
    let mut paths: Vec<std::path::PathBuf> = files
        .iter()
        .filter(|f| present.contains(f))
        .map(|f| set.join(f))
        .collect();
    if paths.len() != files.len() {
        return Ok(()); // something moved them meanwhile: nothing to keep
    }
    paths.push(report_file);
    exec.ws
        .cache
        .store(KIND, key, &paths, serde_json::json!({ "files": files }));
    Ok(())
}
