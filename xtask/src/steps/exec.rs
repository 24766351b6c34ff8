//! What a run of a plan needs besides the plan (`Exec`: the workspace, git, the staging
//! folder, the build-tools Python), what it produced (`Report`), and how to take back a change
//! to the repository (`Undo`); and `each`, the thread pool of steps run at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::plan::Plan;

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
    pub(super) fn src_dir(&self) -> PathBuf {
        self.stage.join("src")
    }
    pub(super) fn private_dir(&self) -> PathBuf {
        self.stage.join("private")
    }
    pub(super) fn bundle_dir(&self, folder: &str) -> PathBuf {
        self.stage.join("bundle").join(folder)
    }
    pub(super) fn out_dir(&self) -> PathBuf {
        self.stage.join("out")
    }
    /// Whether this machine is `platform` (its strategy is `host`).
    pub(super) fn on_host(&self, platform: &str) -> bool {
        self.plan
            .platforms
            .iter()
            .any(|p| p.name == platform && p.strategy == crate::plan::WheelhouseStrategy::Host)
    }
    /// This run's set in the output folder.
    pub(super) fn set_dir(&self) -> PathBuf {
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
) -> Result<(crate::ops::staging::Staging, PathBuf)> {
    let index = plan.index.pip_env(&ws.root)?;
    let tools_python =
        crate::python::toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &plan.build_tools, &index)?;
    crate::ops::signals::defer_interrupts();
    Ok((
        crate::ops::staging::Staging::create(&ws.work_dir, prefix)?,
        tools_python,
    ))
}

/// What a run produced.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Report {
    /// The release commit, when one was made.
    pub commit: Option<String>,
    /// Every commit made, in order (the release commit, then a next-dev commit).
    #[serde(skip, default)]
    pub made: Vec<String>,
    /// Tags created.
    pub tags: Vec<String>,
    pub artifacts: Vec<Artifact>,
    pub built: Vec<BuiltPlugin>,
    pub timings: Vec<Timing>,
}

#[derive(Debug, Serialize, Deserialize)]
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

#[derive(Debug, Serialize, Deserialize)]
pub struct BuiltPlugin {
    pub plugin: String,
    pub version: String,
    pub sdist: String,
    pub wheel: String,
}

#[derive(Debug, Serialize, Deserialize)]
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

/// `f(0)`, ..., `f(n - 1)` on up to `workers` threads, in that order.
pub fn each<T: Send>(workers: usize, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let value = f(i);
                done.lock().unwrap_or_else(|e| e.into_inner()).push((i, value));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, v)| v).collect()
}
