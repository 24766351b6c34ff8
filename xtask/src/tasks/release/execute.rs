//! A new release: the dry run (every check, then the plan: versions, file diffs, builds, tags,
//! artifacts), and with `--execute` the transaction: build everything from a stamped copy of
//! HEAD in staging; only when all of it succeeded, write the bump into the working tree,
//! commit, tag, and move the outputs into place. A failure undoes what was done. `--save-plan`
//! writes the plan; `--execute --plan FILE` runs exactly that plan and refuses if HEAD, the
//! manifest or a plugin file changed since.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::error::{input_error, precheck_failed};
use crate::manifest::workspace::Workspace;
use crate::ops::fs::{human_size, sha256_file, write_atomic};
use crate::ops::git::Git;
use crate::plan::{self, Mode, Plan, PlanKind, PlanOptions, Step};
use crate::python::toolchain;
use crate::steps::journal::{self, Journal, JournalFile};
use crate::steps::{self, Exec, Report};
use crate::versions::edits::by_file;
use crate::versions::units::Selection;

pub struct ReleaseOptions {
    pub level: Option<String>,
    pub selection: Selection,
    pub platforms: Vec<String>,
    pub execute: bool,
    pub save_plan: Option<PathBuf>,
    pub plan_file: Option<PathBuf>,
    pub release_dir: Option<String>,
    pub no_sources: bool,
    pub fetch: bool,
    pub resume: bool,
    /// With `resume`: kinds of publishing steps done by hand (`push`, `copy_to_release_dir`,
    /// `upload`), recorded as done instead of run.
    pub skip: Vec<String>,
    pub roll_back: bool,
    pub json: bool,
}

/// A new release: its dry run, or with `--execute` the release itself (the lock is held).
pub fn run(ws: &Workspace, opts: &ReleaseOptions, git_dir: &Path, started: Instant) -> Result<()> {
    let git_dir = git_dir.to_path_buf();
    if let Some(interrupted) = JournalFile::load(&git_dir)? {
        return Err(precheck_failed(
            "a release was interrupted",
            vec![journal::interrupted_message(&interrupted.journal)],
        ));
    }
    let (plan, tools, problems) = match &opts.plan_file {
        Some(file) => load_saved(ws, file)?,
        None => {
            let level = opts.level.as_deref().ok_or_else(|| {
                input_error(
                    "name the release: a level (major, minor, patch, alpha, beta, rc, post, dev, release) or a version",
                )
            })?;
            let level = level.parse().map_err(input_error)?;
            let mode = Mode::Release {
                level,
                selection: opts.selection.clone(),
            };
            let prepared = plan::compute(
                ws,
                &PlanOptions {
                    mode,
                    platforms: opts.platforms.clone(),
                    release_dir: opts.release_dir.clone(),
                    no_sources: opts.no_sources,
                    no_sign: false,
                },
            )?;
            (prepared.plan, prepared.tools, prepared.problems)
        }
    };

    // What the steps after the point of no return need from the remote, the index and the
    // release folder, checked now with everything else.
    let mut problems = problems;
    if let (Some(plan), Some(tools)) = (&plan, &tools) {
        let git = Git::new(&ws.runner, tools.git.clone(), &ws.root);
        problems.extend(plan::check_publishing(ws, plan, &git, &tools.python.path)?);
        problems.extend(if ws.locked || ws.offline {
            steps::locks_unfit(ws, plan, &git)?
        } else {
            steps::locks_behind(ws, plan, &git)?
        });
    }
    if let Some(plan) = &plan {
        if !opts.json || !opts.execute {
            if opts.json {
                println!("{}", serde_json::to_string_pretty(plan)?);
            } else {
                print!("{}", render(ws, plan));
            }
        }
    }
    let (Some(plan), Some(tools), true) = (plan, tools, problems.is_empty()) else {
        return Err(precheck_failed("the release would fail its checks", problems));
    };
    if let Some(file) = &opts.save_plan {
        write_atomic(&ws.root.join(file), serde_json::to_string_pretty(&plan)?.as_bytes())?;
        eprintln!(
            "saved the plan to {}; run it with: cargo xtask release --execute --plan {}",
            file.display(),
            file.display()
        );
    }
    if !opts.execute {
        if !opts.json {
            println!("\ndry run: all checks pass, nothing was changed. Run again with --execute to release.");
        }
        return Ok(());
    }

    let report = execute_new(ws, &tools, &plan, &git_dir).with_context(|| {
        let log = ws.runner.log_path().display();
        match JournalFile::load(&git_dir) {
            Ok(None) => format!(
                "the release was not made; the repository and {}/ are as they were (log: {log})",
                plan.output_dir
            ),
            Ok(Some(j)) if j.journal.delivered() => {
                format!("the release is made but not fully published (log: {log})")
            }
            _ => format!("the release is half made; see above (log: {log})"),
        }
    })?;
    print_result(ws, &plan, &report, opts.json, started)
}

/// Run a new release's plan in a fresh staging folder with the build-tools venv, journaled.
fn execute_new(ws: &Workspace, tools: &toolchain::Tools, plan: &Plan, git_dir: &Path) -> Result<Report> {
    let (stage, tools_python) = steps::prepare(ws, tools, plan, "release")?;
    let exec = Exec {
        ws,
        plan,
        git: Git::new(&ws.runner, tools.git.clone(), &ws.root),
        stage: stage.path(),
        tools_python,
    };
    let conflicts = steps::settle_for_run(&exec)?;
    if !conflicts.is_empty() {
        return Err(precheck_failed(
            "the dependencies cannot be resolved; nothing was built",
            conflicts,
        ));
    }
    stage.mark_journaled(&git_dir.join(journal::FILE))?;
    let mut journal = JournalFile::create(git_dir, Journal::new(ws, plan, stage.path())?)?;
    steps::execute(&exec, 0, Some(&mut journal))
}

/// Continue a journaled release from its first step not done, in a fresh staging folder
/// (the steps left need none of the earlier one: they publish what is in the output folder).
pub(super) fn continue_release(ws: &Workspace, tools: &toolchain::Tools, journal: &mut JournalFile) -> Result<Report> {
    let plan = journal.journal.plan.clone();
    let (stage, tools_python) = steps::prepare(ws, tools, &plan, "release")?;
    let exec = Exec {
        ws,
        plan: &plan,
        git: Git::new(&ws.runner, tools.git.clone(), &ws.root),
        stage: stage.path(),
        tools_python,
    };
    let start = journal.journal.next_step;
    steps::execute(&exec, start, Some(journal))
}

pub(super) fn print_result(ws: &Workspace, plan: &Plan, report: &Report, json: bool, started: Instant) -> Result<()> {
    if json {
        crate::tasks::print_run_json(plan, report, started)?;
    } else {
        crate::ops::ui::summary!(
            "\nreleased {} {} in {:.1} s",
            plan.release,
            plan.version,
            started.elapsed().as_secs_f64()
        );
        if let Some(commit) = &report.commit {
            crate::ops::ui::summary!("  commit {}", &commit[..12]);
        }
        for t in &report.tags {
            crate::ops::ui::summary!("  tag {t}");
        }
        for a in &report.artifacts {
            crate::ops::ui::summary!("  {}  {}  sha256 {}", a.path, human_size(a.size), &a.sha256[..16]);
        }
        if let Some(next) = report.made.get(1) {
            crate::ops::ui::summary!("  then commit {} (the next development versions)", &next[..12]);
        }
        crate::ops::ui::summary!("  {}/{}/{}", plan.output_dir, plan.set, plan::NOTES_FILE);
        let pushed = plan.steps.iter().any(|s| matches!(s, Step::Push { .. }));
        if !pushed && !report.tags.is_empty() {
            crate::ops::ui::summary!(
                "publish with: git push --atomic {} {} {}",
                ws.manifest.publish.remote,
                plan.branch.as_deref().unwrap_or("HEAD"),
                report.tags.join(" ")
            );
        }
    }
    Ok(())
}

/// A saved plan, refused if what it was made from has changed.
fn load_saved(ws: &Workspace, file: &Path) -> Result<(Option<Plan>, Option<toolchain::Tools>, Vec<String>)> {
    let path = ws.root.join(file);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the plan {}", path.display()))?;
    let mut plan: Plan = serde_json::from_str(&text).map_err(|e| {
        input_error(format!(
            "{}: not a plan saved by `release --save-plan` ({e})",
            path.display()
        ))
    })?;
    plan.index.offline = ws.offline; // this run's, not the saving run's
    if plan.schema_version != plan::SCHEMA_VERSION || plan.kind != PlanKind::Release {
        return Err(input_error(format!(
            "{}: a {:?} plan of schema {}; expected a release plan of schema {}",
            path.display(),
            plan.kind,
            plan.schema_version,
            plan::SCHEMA_VERSION
        )));
    }
    let mut problems = Vec::new();
    let tools = toolchain::find(&ws.runner, &ws.manifest)
        .map_err(|p| problems.extend(p))
        .ok();
    let git = Git::new(&ws.runner, which::which("git")?, &ws.root);
    let head = git.head()?;
    if head != plan.commit {
        problems.push(format!(
            "HEAD is {} but the plan was made at {}: make a new plan",
            &head[..12],
            &plan.commit[..plan.commit.len().min(12)]
        ));
    }
    if sha256_file(&ws.manifest.path)? != plan.manifest_sha256 {
        problems.push(format!(
            "{} changed since the plan was made: make a new plan",
            ws.manifest_shown()
        ));
    }
    let mut paths: Vec<String> = plan.plugins.iter().map(|p| p.path.clone()).collect();
    paths.push(crate::python::plugins::relative(&ws.root, &ws.manifest.path));
    let dirty = git.status(&paths)?;
    if !dirty.is_empty() {
        problems.push(format!(
            "files changed since the plan was made: {}; commit or stash them, or make a new plan",
            dirty.join(", ")
        ));
    }
    let branch = git.current_branch()?;
    if branch != plan.branch {
        problems.push(format!(
            "the plan commits to {}, but the checked-out branch is {}",
            plan.branch.as_deref().unwrap_or("(none)"),
            branch.as_deref().unwrap_or("none (detached HEAD)")
        ));
    }
    // The same checks a new plan gets: upstream, identity, gpg, remote, output folder.
    plan::check_release_preconditions(ws, &git, &mut problems)?;
    for step in &plan.steps {
        if let Step::Deliver { files, .. } = step {
            plan::check_no_overwrite(ws, &plan.set, files, &mut problems);
        }
    }
    let tags = git.tags()?;
    for u in &plan.units {
        if tags.contains(&u.tag) {
            problems.push(format!("the tag {} already exists", u.tag));
        }
    }
    Ok((Some(plan), tools, problems))
}

/// The plan for people, with a unified diff of every change to the working tree.
fn render(ws: &Workspace, plan: &Plan) -> String {
    let mut s = plan::render_human(plan);
    if !plan.units.is_empty() {
        let _ = writeln!(s, "\nrelease units:");
        for u in &plan.units {
            let _ = writeln!(
                s,
                "  {:<28} {} -> {}   tag {}",
                u.name, u.current_version, u.version, u.tag
            );
        }
    }
    // Each write's diff against what the file holds by then (a second write, `next-dev`,
    // follows the release's).
    let mut texts: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    for step in &plan.steps {
        if let Step::UpdateTree { edits } = step {
            for (file, edits) in by_file(edits) {
                let old = texts
                    .remove(file)
                    .unwrap_or_else(|| std::fs::read_to_string(ws.root.join(file)).unwrap_or_default());
                if let Ok(new) = crate::versions::edits::apply(&old, &edits) {
                    let _ = write!(s, "\n{}", crate::versions::edits::unified_diff(file, &old, &new));
                    texts.insert(file, new);
                }
            }
        }
    }
    s
}
