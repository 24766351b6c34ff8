//! Executing a plan: one function per step kind, dispatched in plan order. Steps decide what
//! to do from the plan alone; programs and file writes go through `ops`.

mod build;
mod bundle;
mod deliver;
mod stamp;
mod wheelhouse;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::ops::git::Git;
use crate::plan::{Plan, Step};
use crate::workspace::Workspace;

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
}

/// What a run produced.
#[derive(Debug, Default, Serialize)]
pub struct Report {
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

pub fn execute(exec: &Exec) -> Result<Report> {
    let mut report = Report::default();
    let total = exec.plan.steps.len();
    for (i, step) in exec.plan.steps.iter().enumerate() {
        let label = describe(step);
        eprintln!("==> [{}/{total}] {label}", i + 1);
        let started = Instant::now();
        match step {
            Step::ExportSources { commit, paths } => exec.git.export(commit, paths, &exec.src_dir()),
            Step::Stamp { plugin, edits } => stamp::stamp(exec, plugin, edits),
            Step::Build { plugin, path, version } => build::build(exec, plugin, path, version, &mut report),
            Step::Wheelhouse { platform, requirements } => wheelhouse::collect(exec, platform, requirements),
            Step::Bundle {
                platform,
                archive,
                folder,
                format,
            } => bundle::write(exec, platform, archive, folder, *format, &mut report),
            Step::Deliver { files } => deliver::deliver(exec, files, &mut report),
        }
        .with_context(|| format!("step {}/{total} failed: {label}", i + 1))?;
        report.timings.push(Timing {
            step: label,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(report)
}

fn describe(step: &Step) -> String {
    match step {
        Step::ExportSources { paths, .. } => format!("export {} plugin folder(s) from git", paths.len()),
        Step::Stamp { plugin, edits } => format!("stamp {plugin} ({} edit(s))", edits.len()),
        Step::Build { plugin, version, .. } => format!("build {plugin} {version}"),
        Step::Wheelhouse { platform, .. } => format!("collect wheels for {platform}"),
        Step::Bundle { archive, .. } => format!("write {archive}"),
        Step::Deliver { files } => format!("deliver {} artifact(s)", files.len()),
    }
}
