//! `cargo xtask nightly` and `cargo xtask bundle`: build the offline bundles of every plugin
//! from the committed tree (HEAD), at a dev version (nightly) or at the versions of the release
//! HEAD is tagged with (bundle), without touching the working tree or git history. Plans
//! first, stops on any precheck, executes the plan in a staging folder, then delivers.

use std::time::Instant;

use anyhow::{Context, Result};

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::fs::human_size;
use crate::ops::git::Git;
use crate::plan::{self, Mode, Plan, PlanKind, PlanOptions};
use crate::steps::{self, Exec, Report};

pub fn run(ws: &Workspace, opts: &PlanOptions, json: bool) -> Result<()> {
    let started = Instant::now();
    crate::steps::journal::refuse_if_interrupted(ws)?;
    let prepared = plan::compute(ws, opts)?;
    let problems = super::prechecks(ws, &prepared)?;
    let (Some(plan), Some(tools), true) = (prepared.plan, prepared.tools, problems.is_empty()) else {
        return Err(precheck_failed(&format!("cannot build the {}", what(opts)), problems));
    };

    let prefix = if matches!(opts.mode, Mode::Bundle) {
        "bundle"
    } else {
        "nightly"
    };
    let (stage, tools_python) = steps::prepare(ws, &tools, &plan, prefix)?;
    let exec = Exec {
        ws,
        plan: &plan,
        git: Git::new(&ws.runner, tools.git.clone(), &ws.root),
        stage: stage.path(),
        tools_python,
    };
    let conflicts = steps::settle_for_run(&exec)?;
    if !conflicts.is_empty() {
        return Err(precheck_failed(
            &format!(
                "the dependencies of the {} cannot be resolved; nothing was built",
                what(opts)
            ),
            conflicts,
        ));
    }
    let report = steps::reuse::run(&exec).with_context(|| {
        format!(
            "the {} was not built; nothing was written to {}/ and the repository is unchanged (log: {})",
            what(opts),
            plan.output_dir,
            ws.runner.log_path().display()
        )
    })?;
    drop(stage);

    if json {
        super::print_run_json(&plan, &report, started)?;
    } else {
        print_summary(&plan, &report, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// What is being built, for messages.
fn what(opts: &PlanOptions) -> &'static str {
    match opts.mode {
        Mode::Bundle => "release bundle",
        _ => "nightly bundle",
    }
}

fn print_summary(plan: &Plan, report: &Report, seconds: f64) {
    let kind = match plan.kind {
        PlanKind::Bundle => "release",
        _ => "nightly",
    };
    crate::ops::ui::summary!(
        "{kind} {} {} built in {seconds:.1} s (commit {})",
        plan.release,
        plan.version,
        &plan.commit[..12]
    );
    for p in &plan.plugins {
        crate::ops::ui::summary!("  {:<28} {}", p.name, p.version);
    }
    for a in &report.artifacts {
        crate::ops::ui::summary!("  {}  {}  sha256 {}", a.path, human_size(a.size), &a.sha256[..16]);
        crate::ops::ui::summary!(
            "      {} file(s) of the plugins, {} public wheel(s)",
            a.private_files.len(),
            a.public_files.len()
        );
    }
}
