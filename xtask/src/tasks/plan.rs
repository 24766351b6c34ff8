//! `cargo xtask plan` (and `bundle --dry-run`): compute and print the plan (human or
//! `--json`), and report every precheck that would stop the run. Reads only.

use anyhow::Result;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::plan::{self, Mode, PlanOptions};

pub fn run(ws: &Workspace, opts: &PlanOptions, json: bool) -> Result<()> {
    let prepared = plan::compute(ws, opts)?;
    let problems = super::prechecks(ws, &prepared)?;
    if let Some(plan) = &prepared.plan {
        if json {
            println!("{}", serde_json::to_string_pretty(plan)?);
        } else {
            print!("{}", plan::render_human(plan));
        }
    }
    if !problems.is_empty() {
        let what = match opts.mode {
            Mode::Bundle => "`bundle`",
            _ => "`nightly`",
        };
        return Err(precheck_failed(&format!("{what} would stop before building"), problems));
    }
    Ok(())
}
