//! `cargo xtask bump LEVEL|VERSION`: compute the next version of every selected release unit
//! (a lockstep group or an independent plugin), show old → new, the tags a release will
//! create, the release notes and a unified diff of every file change; with `--execute`, write
//! the changes (all files or none). Never commits or tags: that is the release's job.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use pep440_rs::Version;
use serde::Serialize;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::manifest::Strategy;
use crate::ops::fs::replace_files;
use crate::ops::git::Git;
use crate::python::plugins::{self, Plugin};
use crate::python::toolchain;
use crate::versions::edits::{apply, by_file, removes, Edit, StampValues};
use crate::versions::units::{self, PlannedUnit};
use crate::versions::Bump;

pub struct BumpOptions {
    pub level: Bump,
    pub selection: units::Selection,
    pub execute: bool,
    pub json: bool,
}

/// What a bump will do; printed as JSON with `--json`.
#[derive(Serialize)]
struct BumpPlan {
    strategy: Strategy,
    units: Vec<PlannedUnit>,
    edits: Vec<Edit>,
    problems: Vec<String>,
    written: bool,
}

pub fn run(ws: &Workspace, opts: &BumpOptions) -> Result<()> {
    if opts.execute {
        crate::steps::journal::refuse_if_interrupted(ws)?;
    }
    let mut problems = Vec::new();
    let (git_program, plugins) = find_git_and_plugins(ws, &mut problems);
    let Some(git_program) = git_program else {
        return Err(precheck_failed("cannot compute the bump", problems));
    };
    if plugins.is_empty() {
        return Err(precheck_failed("cannot compute the bump", problems));
    }
    let git = Git::new(&ws.runner, git_program, &ws.root);
    let head = git.head()?;
    problems.extend(units::tag_clashes(&ws.manifest, &plugins));
    problems.extend(
        units::stray_tags(&ws.manifest, &git, &plugins)?
            .into_iter()
            .map(|s| s.message),
    );
    let current = units::current_versions(&ws.manifest, &git, &plugins)?;
    let values = StampValues {
        date: release_date()?,
        build: String::new(),
        commit: head[..8].to_string(),
    };
    let outcome = units::plan_bump(
        ws,
        &git,
        &plugins,
        &current,
        &opts.level,
        &opts.selection,
        &values,
        &mut problems,
    )?;
    let units = outcome.units;
    let all_edits = outcome.tree_edits;
    check_uncommitted(&git, &all_edits, &mut problems)?;
    let new_contents = new_contents(ws, &all_edits, &mut problems);

    let write = opts.execute && problems.is_empty();
    let plan = BumpPlan {
        strategy: ws.manifest.versioning.strategy,
        units,
        edits: all_edits,
        problems,
        written: write,
    };
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", render(&plan, &plugins, &current, &new_contents));
    }
    if !plan.problems.is_empty() {
        return Err(precheck_failed("the bump cannot be made", plan.problems));
    }
    if write {
        let removed: Vec<String> = by_file(&plan.edits)
            .into_iter()
            .filter(|(_, edits)| removes(edits))
            .map(|(f, _)| f.to_string())
            .collect();
        write_contents(ws, opts, &new_contents, &removed)?;
    } else if !opts.json {
        println!("\ndry run: nothing was written. Run again with --execute to write these changes.");
    }
    Ok(())
}

/// The git program (this host's, when the toolchain is incomplete) and the plugins; what
/// keeps either from being found is added to `problems`.
fn find_git_and_plugins(ws: &Workspace, problems: &mut Vec<String>) -> (Option<PathBuf>, Vec<Plugin>) {
    let tools = toolchain::find(&ws.runner, &ws.manifest);
    let (git_program, python) = match &tools {
        Ok(t) => (Some(t.git.clone()), Some(t.python.path.clone())),
        Err(p) => {
            problems.extend(p.iter().cloned());
            (which::which("git").ok(), None)
        }
    };
    let plugins = plugins::discover(&ws.root, &ws.manifest, &ws.runner, python.as_deref()).unwrap_or_else(|p| {
        problems.extend(p);
        Vec::new()
    });
    (git_program, plugins)
}

/// Files to be written must not hold uncommitted work.
fn check_uncommitted(git: &Git, all_edits: &[Edit], problems: &mut Vec<String>) -> Result<()> {
    let files: Vec<String> = by_file(all_edits).keys().map(|f| f.to_string()).collect();
    if !files.is_empty() {
        let dirty = git.status(&files)?;
        if !dirty.is_empty() {
            problems.push(format!(
                "files the bump edits have uncommitted changes: {}; commit or stash them first",
                dirty
                    .iter()
                    .map(|l| l.get(3..).unwrap_or(l))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

/// The new contents of every edited file, checked against the plan's old texts: (file, old,
/// new); an edit that does not apply is a problem.
fn new_contents(ws: &Workspace, all_edits: &[Edit], problems: &mut Vec<String>) -> Vec<(String, String, String)> {
    let mut new_contents: Vec<(String, String, String)> = Vec::new();
    for (file, edits) in by_file(all_edits) {
        let old = std::fs::read_to_string(ws.root.join(file)).unwrap_or_default();
        match apply(&old, &edits) {
            Ok(new) => new_contents.push((file.to_string(), old, new)),
            Err(e) => problems.push(e),
        }
    }
    new_contents
}

/// Write the new contents (all files or none) and say what is next.
fn write_contents(
    ws: &Workspace,
    opts: &BumpOptions,
    new_contents: &[(String, String, String)],
    removed: &[String],
) -> Result<()> {
    let files: Vec<(PathBuf, Vec<u8>)> = new_contents
        .iter()
        .filter(|(f, _, _)| !removed.contains(f))
        .map(|(f, _, new)| (ws.root.join(f), new.clone().into_bytes()))
        .collect();
    replace_files(&files)?;
    let gone: Vec<PathBuf> = removed.iter().map(|f| ws.root.join(f)).collect();
    if let Err(e) = crate::ops::fs::remove_files(&gone) {
        let before: Vec<(PathBuf, Vec<u8>)> = new_contents
            .iter()
            .map(|(f, old, _)| (ws.root.join(f), old.clone().into_bytes()))
            .collect();
        let _ = replace_files(&before);
        return Err(e);
    }
    if !opts.json {
        println!(
            "\nwrote {} file(s). Review with `git diff`, then commit and tag the release.",
            files.len()
        );
    }
    Ok(())
}

/// `YYYY-MM-DD` of today (or of `SOURCE_DATE_EPOCH`), UTC.
pub fn release_date() -> Result<String> {
    Ok(crate::ops::clock::iso_date(crate::ops::clock::now()?))
}

fn render(
    plan: &BumpPlan,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    contents: &[(String, String, String)],
) -> String {
    let mut s = String::new();
    let strategy = match plan.strategy {
        Strategy::Commit => "commit: versions are written into the files",
        Strategy::Stamp => "stamp: files keep their placeholder; the release tag records the version",
    };
    let _ = writeln!(s, "bump ({strategy})\n");
    for p in plugins {
        let unit = plan.units.iter().find(|u| u.members.contains(&p.normalized));
        match unit {
            Some(u) => {
                let _ = writeln!(s, "  {:<28} {} -> {}", p.name, u.current_version, u.version);
            }
            None => {
                let _ = writeln!(s, "  {:<28} {} (unchanged)", p.name, current[&p.normalized]);
            }
        }
    }
    if !plan.units.is_empty() {
        let _ = writeln!(s, "\ntags the release will create:");
        for u in &plan.units {
            let _ = writeln!(s, "  {}", u.tag);
        }
    }
    for u in &plan.units {
        for (plugin, notes) in &u.notes {
            let _ = writeln!(s, "\nrelease notes of {plugin} {}:\n{}", u.version, indent(notes));
        }
    }
    for (file, old, new) in contents {
        let _ = write!(s, "\n{}", crate::versions::edits::unified_diff(file, old, new));
    }
    s
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
