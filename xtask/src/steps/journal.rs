//! The release journal: what a `release --execute` is doing, written to the git folder (and
//! synced) before its first step and after every step, so that a run killed at any point
//! (SIGKILL, power loss) leaves enough to finish it or to undo it exactly
//! (`release --resume`, `release --roll-back`; see `tasks::recover`). It holds the plan, the
//! staging folder, the old and new bytes of every working-tree file the release writes, the
//! outputs to deliver with their hashes, the commit once made, and the steps done. Every
//! command that changes the repository or the output folder refuses to run while a journal of
//! a dead release exists. It never holds secrets (the plan has none).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::fs::write_atomic;
use crate::ops::git::Git;
use crate::ops::lock::ReleaseLock;
use crate::plan::{Plan, Step};

/// The journal's file in the git folder.
pub const FILE: &str = "xtask-release-journal.json";
/// The release lock's file in the git folder.
pub const LOCK_FILE: &str = "xtask-release.lock";
const FORMAT: u32 = 1;

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Journal {
    pub format: u32,
    /// The process that wrote it, and when it started (seconds since the epoch).
    pub pid: u32,
    pub started: u64,
    pub plan: Plan,
    /// The staging folder holding the built outputs.
    pub stage: PathBuf,
    /// Working-tree files the release writes, with their bytes before and after.
    pub files: Vec<TreeFile>,
    /// What delivery moves into the output folder, recorded before the first change to the
    /// repository (when everything is built).
    pub outputs: Vec<Output>,
    /// The commits made so far: the release commit, then (`next-dev`) the next-dev commit.
    pub commits: Vec<String>,
    /// Index of the first step not done.
    pub next_step: usize,
    /// Whether a step after delivery (push, copy, upload) has started: from then on the
    /// release may be public and is never rolled back.
    pub publishing: bool,
    /// Publishing steps the maintainer did by hand (`release --resume --skip`), by index:
    /// recorded as done, never run.
    #[serde(default)]
    pub by_hand: Vec<usize>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct TreeFile {
    /// Relative to the repository root.
    pub path: String,
    pub old: String,
    /// After the release's write.
    pub new: String,
    /// After the second write (`[versioning] next-dev`), if the plan has one.
    pub next: Option<String>,
    /// The release's write removes it (a towncrier fragment): `new` is empty, the file gone.
    #[serde(default)]
    pub removed: bool,
}

impl TreeFile {
    /// Its bytes after the `n`th write of the working tree (0: as before the release).
    pub fn after_write(&self, n: usize) -> &str {
        match n {
            0 => &self.old,
            1 => &self.new,
            _ => self.next.as_deref().unwrap_or(&self.new),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Output {
    pub staged: PathBuf,
    pub dest: PathBuf,
    pub sha256: String,
    pub size: u64,
}

impl Journal {
    /// A new journal for `plan`, run in `stage`: the tree files' new bytes are the plan's edits
    /// applied to what the working tree holds now.
    pub fn new(ws: &Workspace, plan: &Plan, stage: &Path) -> Result<Journal> {
        let mut files: Vec<TreeFile> = Vec::new();
        let mut writes = 0;
        for step in &plan.steps {
            let Step::UpdateTree { edits } = step else { continue };
            writes += 1;
            for (file, edits) in crate::versions::edits::by_file(edits) {
                let apply = |text: &str| crate::versions::edits::apply(text, &edits).map_err(anyhow::Error::msg);
                match files.iter_mut().find(|f| f.path == file) {
                    Some(f) => f.next = Some(apply(&f.new)?),
                    None => {
                        let old = std::fs::read_to_string(ws.root.join(file))
                            .with_context(|| format!("cannot read {file}"))?;
                        let changed = apply(&old)?;
                        let (new, next) = if writes == 1 {
                            (changed, None)
                        } else {
                            (old.clone(), Some(changed))
                        };
                        files.push(TreeFile {
                            path: file.to_string(),
                            old,
                            new,
                            next,
                            removed: crate::versions::edits::removes(&edits),
                        });
                    }
                }
            }
        }
        Ok(Journal {
            format: FORMAT,
            pid: std::process::id(),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            plan: plan.clone(),
            stage: stage.to_path_buf(),
            files,
            outputs: Vec::new(),
            commits: Vec::new(),
            next_step: 0,
            publishing: false,
            by_hand: Vec::new(),
        })
    }

    /// Index of the deliver step (the point of no return for the local part).
    pub fn deliver_step(&self) -> usize {
        deliver_step(&self.plan)
    }

    /// Whether every output is in the output folder (the local part of the release is done).
    pub fn delivered(&self) -> bool {
        self.next_step > self.deliver_step()
    }

    /// One line for messages: what was interrupted and where.
    pub fn describe(&self) -> String {
        let total = self.plan.steps.len();
        let at = self.plan.steps.get(self.next_step).map_or("the end".to_string(), |s| {
            format!("step {}/{total} ({})", self.next_step + 1, crate::plan::describe(s))
        });
        format!(
            "the release {} {} (pid {}, started {}) stopped at {at}",
            self.plan.release,
            self.plan.version,
            self.pid,
            crate::ops::lock::utc(self.started as i64)
        )
    }
}

/// Index of a plan's deliver step (its number of steps if it has none).
pub fn deliver_step(plan: &Plan) -> usize {
    plan.steps
        .iter()
        .position(|s| matches!(s, Step::Deliver { .. }))
        .unwrap_or(plan.steps.len())
}

/// A journal and where it is kept.
pub struct JournalFile {
    path: PathBuf,
    pub journal: Journal,
}

impl JournalFile {
    /// Write a new journal into `git_dir`.
    pub fn create(git_dir: &Path, journal: Journal) -> Result<JournalFile> {
        let file = JournalFile {
            path: git_dir.join(FILE),
            journal,
        };
        file.save()?;
        Ok(file)
    }

    /// The journal in `git_dir`, if there is one.
    pub fn load(git_dir: &Path) -> Result<Option<JournalFile>> {
        let path = git_dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let journal: Journal = serde_json::from_str(&text).map_err(|e| {
            crate::error::input_error(format!(
                "{}: not a release journal this version can read ({e}); finish or undo that release with the \
                 version of the xtask that started it, or remove the file after checking git status, git log \
                 and git tag",
                path.display()
            ))
        })?;
        Ok(Some(JournalFile { path, journal }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write it durably: a synced file renamed into place, and the folder synced.
    pub fn save(&self) -> Result<()> {
        write_atomic(&self.path, serde_json::to_string_pretty(&self.journal)?.as_bytes())?;
        crate::ops::fs::sync_dir(self.path.parent().unwrap_or(Path::new(".")))
    }

    /// The release is complete or undone: the journal goes.
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => crate::ops::fs::sync_dir(self.path.parent().unwrap_or(Path::new("."))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", self.path.display())),
        }
    }
}

/// What to tell a user who runs a command while an interrupted release is unfinished.
pub fn interrupted_message(journal: &Journal) -> String {
    let what = if journal.delivered() {
        "its commit, tags and outputs are in place; `cargo xtask release --resume` finishes publishing it"
    } else {
        "`cargo xtask release --resume` finishes it (or undoes it if its built outputs are gone), \
         `cargo xtask release --roll-back` undoes it"
    };
    format!("{}: {what}", journal.describe())
}

/// For commands that change the repository or the output folder (`bump`, `nightly`,
/// `bundle`, `publish`, `merge`): refuse while a release that died is unfinished. A running
/// release (its lock is held) is not in the way.
pub fn refuse_if_interrupted(ws: &Workspace) -> Result<()> {
    let Ok(git_program) = which::which("git") else {
        return Ok(());
    };
    let git = Git::new(&ws.runner, git_program, &ws.root);
    let Ok(git_dir) = git.git_dir() else {
        return Ok(()); // not a git repository: no release can have run here
    };
    let Some(file) = JournalFile::load(&git_dir)? else {
        return Ok(());
    };
    if ReleaseLock::is_held(&git_dir.join(LOCK_FILE))? {
        return Ok(());
    }
    Err(precheck_failed(
        "a release was interrupted",
        vec![interrupted_message(&file.journal)],
    ))
}
