//! Running a plan's steps in order as one transaction up to delivery: independent steps at
//! once, each step journaled for releases, everything undone, newest first, when a step up to
//! delivery fails.

use std::time::Instant;

use anyhow::Result;

use super::dispatch::run_step;
use super::exec::{Exec, Report, Timing, Undo};
use super::journal::JournalFile;
use super::{deliver, parallel};
use crate::manifest::workspace::Workspace;
use crate::plan::{describe, Step};

/// Run the plan's steps in order, from `start` (steps before it were done by an earlier,
/// interrupted run). Up to and including `deliver` the steps are a transaction: if one fails,
/// every change already made to the repository (files, commit, tags) is undone, newest first.
/// After `deliver` nothing is undone. With a `journal` (releases), each step is recorded
/// before it starts and once it is done, and the outputs to deliver before the first change
/// to the repository, so that a run killed at any point can be finished or undone; the
/// journal goes when the plan is done or rolled back, and stays when a step after delivery
/// fails (for `release --resume`).
pub fn execute(exec: &Exec, start: usize, journal: Option<&mut JournalFile>) -> Result<Report> {
    let result = execute_steps(exec, start, journal);
    prune_cache(exec.ws);
    result
}

/// Keep the work folder's cache within `[python] cache-max-mb`.
pub(super) fn prune_cache(ws: &Workspace) {
    if ws.runner.is_dry_run() {
        return;
    }
    match crate::ops::cache::prune(&ws.work_dir, ws.manifest.python.cache_max_bytes) {
        Ok(p) if p.entries + p.tool_files > 0 || p.uv_cleared => crate::ops::ui::progress!(
            "    cache over [python] cache-max-mb: removed {} entries{}{}, {} left",
            p.entries,
            if p.tool_files > 0 {
                format!(", {} of pip's files", p.tool_files)
            } else {
                String::new()
            },
            if p.uv_cleared { ", uv's cache" } else { "" },
            crate::ops::fs::human_size(p.size_after)
        ),
        Ok(_) => {}
        Err(e) => crate::ops::ui::progress!("    could not prune the cache: {e:#}"),
    }
}

pub(super) fn execute_steps(exec: &Exec, start: usize, mut journal: Option<&mut JournalFile>) -> Result<Report> {
    let mut report = Report::default();
    let mut undo: Vec<Undo> = Vec::new();
    let total = exec.plan.steps.len();
    let delivered_at = crate::steps::journal::deliver_step(exec.plan);
    let first_change = exec.plan.steps.iter().position(changes_repository).unwrap_or(total);
    let mut batch_end = 0;
    for (i, step) in exec.plan.steps.iter().enumerate() {
        let label = describe(step);
        if i < start {
            crate::ops::ui::progress!("==> [{}/{total}] {label}: done before, skipped", i + 1);
            continue;
        }
        if i < batch_end {
            continue;
        }
        if journal.as_deref().is_some_and(|j| j.journal.by_hand.contains(&i)) {
            crate::ops::ui::progress!(
                "==> [{}/{total}] {label}: done by hand (release --resume --skip), not run",
                i + 1
            );
            if let Some(j) = journal.as_deref_mut() {
                j.journal.next_step = i + 1;
                j.save()?;
            }
            continue;
        }
        // Independent steps (builds, platform collections) at once, before any change.
        let batch = parallel::batch_at(exec, i);
        if batch.len() > 1 {
            if let Err(e) = parallel::run(exec, batch.clone(), &mut report) {
                return Err(failed_before_delivery(exec, e, undo, journal));
            }
            batch_end = batch.end;
            if let Some(j) = journal.as_deref_mut() {
                j.journal.next_step = batch.end;
                j.save()?;
            }
            continue;
        }
        if let Some(j) = journal.as_deref_mut() {
            if i == first_change && j.journal.outputs.is_empty() {
                j.journal.outputs = deliver::outputs(exec)?;
            }
            j.journal.publishing |= i > delivered_at;
            j.save()?;
        }
        let shown = crate::ops::ui::step(format!("==> [{}/{total}] {label}", i + 1));
        let started = Instant::now();
        crate::ops::faults::point(&format!("before-step-{}", i + 1));
        let done: Result<Option<Undo>> = if crate::ops::signals::interrupted() {
            Err(anyhow::anyhow!("interrupted (Ctrl-C or SIGTERM) before this step"))
        } else {
            run_step(exec, step, &mut report)
        };
        crate::ops::faults::point(&format!("after-step-{}", i + 1));
        drop(shown);
        match done {
            Ok(Some(u)) => undo.push(u),
            Ok(None) => {}
            Err(e) if i > delivered_at => {
                return Err(e.context(format!(
                    "step {}/{total} failed: {label}. The release commit, tags and outputs stay as they are; \
                     fix the problem and run `cargo xtask release --resume` to continue from this step",
                    i + 1
                )));
            }
            Err(e) => {
                let e = e.context(format!("step {}/{total} failed: {label}", i + 1));
                return Err(failed_before_delivery(exec, e, undo, journal));
            }
        }
        report.timings.push(Timing {
            step: label,
            seconds: started.elapsed().as_secs_f64(),
        });
        if let Some(j) = journal.as_deref_mut() {
            j.journal.next_step = i + 1;
            if let (Step::Commit { .. }, Some(commit)) = (step, report.made.last()) {
                j.journal.commits.push(commit.clone());
            }
            j.save()?;
        }
    }
    if let Some(j) = journal {
        j.remove()?;
    }
    Ok(report)
}

/// A step up to delivery failed: undo what the run changed, newest first, and remove the
/// journal once everything is undone.
fn failed_before_delivery(
    exec: &Exec,
    e: anyhow::Error,
    undo: Vec<Undo>,
    journal: Option<&mut JournalFile>,
) -> anyhow::Error {
    match roll_back(exec, undo) {
        Ok(summary) => {
            if let Some(j) = journal {
                let path = j.path().display().to_string();
                if let Err(removing) = j.remove() {
                    return e.context(format!("the release was rolled back, but remove {path}: {removing:#}"));
                }
            }
            if summary.is_empty() {
                e
            } else {
                e.context(format!("rolled back: {summary}"))
            }
        }
        Err(incomplete) => e.context(format!(
            "ROLLBACK INCOMPLETE ({incomplete}): run `cargo xtask release --roll-back` to finish undoing it"
        )),
    }
}

/// Whether a step changes the repository or the output folder (the transaction's part).
fn changes_repository(step: &Step) -> bool {
    matches!(
        step,
        Step::UpdateTree { .. } | Step::Commit { .. } | Step::Tag { .. } | Step::Deliver { .. }
    )
}

/// Undo in reverse order; a summary of what was undone, or what could not be.
fn roll_back(exec: &Exec, undo: Vec<Undo>) -> Result<String, String> {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for u in undo.into_iter().rev() {
        match u {
            Undo::DeleteTag(name) => match exec.git.delete_tag(&name) {
                Ok(()) => done.push(format!("tag {name} deleted")),
                Err(e) => failed.push(format!("delete the tag {name} ({e})")),
            },
            Undo::Commit {
                branch,
                previous,
                created,
                files,
            } => match exec.git.undo_commit(&branch, &previous, &created, &files) {
                Ok(()) => done.push(format!("commit {} undone", &created[..created.len().min(12)])),
                Err(e) => failed.push(format!("move {branch} back to {previous} ({e})")),
            },
            Undo::RestoreFiles(files) => {
                let mut restored = 0;
                for (path, bytes) in files {
                    match std::fs::write(&path, bytes) {
                        Ok(()) => restored += 1,
                        Err(e) => failed.push(format!("restore {} ({e})", path.display())),
                    }
                }
                done.push(format!("{restored} file(s) restored"));
            }
        }
    }
    if failed.is_empty() {
        Ok(done.join(", "))
    } else {
        Err(failed.join("; "))
    }
}
