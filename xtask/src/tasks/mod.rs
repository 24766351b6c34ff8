//! One module per subcommand; each owns a `run` that `main.rs` calls (`release/` holds the new
//! release and the recovery of an interrupted one, `ci/` the GitHub and GitLab generators).
//! Tasks parse nothing and print what the user asked for; they may import every layer below
//! (`steps`, `plan`, the domain folders, `ops`). What several tasks share lives in this file;
//! `publish` reads a merged set with `merge`'s functions.

pub mod archive;
pub mod bump;
pub mod changelog;
pub mod ci;
pub mod init;
pub mod lock;
pub mod merge;
pub mod nightly;
pub mod plan;
pub mod publish;
pub mod release;
pub mod status;
pub mod verify;

use std::time::Instant;

use crate::manifest::workspace::Workspace;
use crate::plan::Plan;
use crate::python::plugins::{self, Plugin};
use crate::steps::Report;

/// The plugins, for tasks that only read them (`status`, `changelog`): Python is needed only
/// for setup.py metadata, and when it is missing the problem says why.
fn discover_plugins(ws: &Workspace) -> anyhow::Result<Vec<Plugin>> {
    let python = crate::python::toolchain::python_path(&ws.manifest);
    plugins::discover(&ws.root, &ws.manifest, &ws.runner, python.as_deref().ok()).map_err(|mut problems| {
        if let Err(missing) = python {
            problems.insert(0, missing);
        }
        crate::error::precheck_failed("cannot read the plugins", problems)
    })
}

/// What `nightly --json` and `release --execute --json` print: the plan, what the run made
/// (commit, tags, artifacts, builds, timings) and how long it took.
fn print_run_json(plan: &Plan, report: &Report, started: Instant) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    struct Output<'a> {
        plan: &'a Plan,
        #[serde(flatten)]
        report: &'a Report,
        seconds: f64,
    }
    let out = Output {
        plan,
        report,
        seconds: started.elapsed().as_secs_f64(),
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The plan's prechecks and, with `--locked` or `--offline`, the committed locks' (so that one
/// run reports every problem at once).
fn prechecks(ws: &Workspace, prepared: &crate::plan::Prepared) -> anyhow::Result<Vec<String>> {
    let mut problems = prepared.problems.clone();
    if let (true, Some(plan), Some(tools)) = (ws.locked || ws.offline, &prepared.plan, &prepared.tools) {
        let git = crate::ops::git::Git::new(&ws.runner, tools.git.clone(), &ws.root);
        problems.extend(crate::steps::locks_unfit(ws, plan, &git)?);
    }
    Ok(problems)
}
