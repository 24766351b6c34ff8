//! Executing a plan: one function per step kind, dispatched in plan order. Steps decide what
//! to do from the plan alone; programs and file writes go through `ops`.

mod build;
pub use build::{wheel_metadata, wheel_requires, wheel_requires_python};
mod bundle;
pub use bundle::{read_identity, Identity};
mod commit;
mod deliver;
pub mod journal;
pub use deliver::is_dist_of;
mod notes;
mod parallel;
pub use notes::write_checksums;
mod publish;
pub use publish::{copy_to_release_dir, upload};
mod resolve;
pub use resolve::check as check_resolution;
mod stamp;
mod tag;
mod wheelhouse;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::plan::{Plan, Step};
use crate::steps::journal::JournalFile;

/// What a run needs besides the plan.
pub struct Exec<'a> {
    pub ws: &'a Workspace,
    pub plan: &'a Plan,
    pub git: Git<'a>,
    /// The run's private staging folder; removed afterwards.
    pub stage: &'a Path,
    /// Python of the managed build-tools venv.
    pub tools_python: PathBuf,
}

impl Exec<'_> {
    fn src_dir(&self) -> PathBuf {
        self.stage.join("src")
    }
    fn private_dir(&self) -> PathBuf {
        self.stage.join("private")
    }
    fn bundle_dir(&self, folder: &str) -> PathBuf {
        self.stage.join("bundle").join(folder)
    }
    fn out_dir(&self) -> PathBuf {
        self.stage.join("out")
    }
    /// This run's set in the output folder.
    fn set_dir(&self) -> PathBuf {
        self.ws.output_dir().join(&self.plan.set)
    }
}

/// What a run of a plan needs before its first step: the build-tools venv (made once and
/// reused), interrupts deferred to step boundaries, and a fresh staging folder
/// `<prefix>-<pid>-*`. The Python of the venv, and the folder (removed when dropped).
pub fn prepare(
    ws: &Workspace,
    tools: &crate::python::toolchain::Tools,
    plan: &Plan,
    prefix: &str,
) -> Result<(crate::ops::fs::Staging, PathBuf)> {
    let index = plan.index.pip_env(&ws.root)?;
    let tools_python =
        crate::python::toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &plan.build_tools, &index)?;
    crate::ops::signals::defer_interrupts();
    Ok((crate::ops::fs::Staging::create(&ws.work_dir, prefix)?, tools_python))
}

/// What a run produced.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The release commit, when one was made.
    pub commit: Option<String>,
    /// Every commit made, in order (the release commit, then a next-dev commit).
    #[serde(skip)]
    pub made: Vec<String>,
    /// Tags created.
    pub tags: Vec<String>,
    pub artifacts: Vec<Artifact>,
    pub built: Vec<BuiltPlugin>,
    pub timings: Vec<Timing>,
}

#[derive(Debug, Serialize)]
pub struct Artifact {
    /// Path relative to the repository root (or absolute when outside it).
    pub path: String,
    pub platform: String,
    pub size: u64,
    pub sha256: String,
    /// Files in the bundle: private plugins (wheels and sdists) and public wheels.
    pub private_files: Vec<String>,
    pub public_files: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct BuiltPlugin {
    pub plugin: String,
    pub version: String,
    pub sdist: String,
    pub wheel: String,
}

#[derive(Debug, Serialize)]
pub struct Timing {
    pub step: String,
    pub seconds: f64,
}

/// How to take back a change to the repository when a later step fails.
pub enum Undo {
    /// Put these bytes back into these files.
    RestoreFiles(Vec<(PathBuf, Vec<u8>)>),
    /// Move `branch` back from `created` to `previous`, restoring the index of `files`.
    Commit {
        branch: String,
        previous: String,
        created: String,
        files: Vec<String>,
    },
    DeleteTag(String),
}

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
fn prune_cache(ws: &Workspace) {
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

fn execute_steps(exec: &Exec, start: usize, mut journal: Option<&mut JournalFile>) -> Result<Report> {
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

/// One step; what to undo it with, if it changed the repository.
pub(crate) fn run_step(exec: &Exec, step: &Step, report: &mut Report) -> Result<Option<Undo>> {
    match step {
        Step::ExportSources { commit, paths } => exec.git.export(commit, paths, &exec.src_dir()).map(|_| None),
        Step::Stamp { plugin, edits } => stamp::stamp(exec, plugin, edits).map(|_| None),
        Step::Build {
            plugin,
            path,
            version,
            wheel_excludes,
        } => build::build(exec, plugin, path, version, wheel_excludes, report).map(|_| None),
        Step::Resolve {
            platforms,
            requirements,
        } => resolve::resolve(exec, platforms, requirements).map(|_| None),
        Step::Wheelhouse { platform, requirements } => wheelhouse::collect(exec, platform, requirements).map(|_| None),
        Step::Bundle {
            platform,
            archive,
            folder,
            format,
        } => bundle::write(exec, platform, archive, folder, *format, report).map(|_| None),
        Step::Sources { archive, folder } => bundle::write_sources(exec, archive, folder, report).map(|_| None),
        Step::Checksums { files, sign } => notes::checksums(exec, files, *sign, report).map(|_| None),
        Step::WriteNotes { file, text } => notes::write(exec, file, text).map(|_| None),
        Step::UpdateTree { edits } => commit::update_tree(exec, edits, report.commit.as_deref()).map(Some),
        Step::Commit { message, files } => commit::commit(exec, message, files, report).map(Some),
        Step::Tag { name, message, sign } => tag::tag(exec, name, message, *sign, report).map(Some),
        Step::Deliver { files, dists_of } => deliver::deliver(exec, files, dists_of, report).map(|_| None),
        Step::Push { remote, branch, tags } => publish::push(exec, remote, branch, tags).map(|_| None),
        Step::CopyToReleaseDir { dir, files, dists_of } => {
            publish::copy_to_release_dir(exec.ws, &exec.set_dir(), dir, files, dists_of).map(|_| None)
        }
        Step::Upload { upload, plugins } => {
            publish::upload(exec.ws, &exec.set_dir(), &exec.tools_python, upload, plugins).map(|_| None)
        }
    }
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

/// The step as progress lines and messages name it.
pub fn describe(step: &Step) -> String {
    match step {
        Step::ExportSources { paths, .. } => format!("export {} plugin folder(s) from git", paths.len()),
        Step::Stamp { plugin, edits } => format!("stamp {plugin} ({} edit(s))", edits.len()),
        Step::Build { plugin, version, .. } => format!("build {plugin} {version}"),
        Step::Resolve { platforms, .. } => format!("resolve dependencies for {}", platforms.join(", ")),
        Step::Wheelhouse { platform, .. } => format!("collect wheels for {platform}"),
        Step::Bundle { archive, .. } => format!("write {archive}"),
        Step::Sources { archive, .. } => format!("write {archive}"),
        Step::Checksums { files, .. } => format!("checksums of {} archive(s)", files.len()),
        Step::WriteNotes { file, .. } => format!("write {file}"),
        Step::UpdateTree { edits } => format!(
            "write the bump into {} file(s)",
            crate::versions::edits::by_file(edits).len()
        ),
        Step::Commit { files, .. } => format!("commit {} file(s)", files.len()),
        Step::Tag { name, .. } => format!("tag {name}"),
        Step::Deliver { files, dists_of } => format!("deliver {} file(s)", files.len() + 2 * dists_of.len()),
        Step::Push { remote, .. } => format!("push to {remote}"),
        Step::CopyToReleaseDir { dir, .. } => format!("copy to {dir}"),
        Step::Upload { plugins, .. } => format!("upload {} plugin(s)", plugins.len()),
    }
}
