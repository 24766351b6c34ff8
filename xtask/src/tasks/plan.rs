//! `cargo xtask plan`: compute and print the nightly plan (human or `--json`), and report
//! every precheck that would stop `nightly`. Reads only.

use anyhow::Result;

use crate::error::precheck_failed;
use crate::plan::{self, PlanOptions};
use crate::workspace::Workspace;

pub fn run(ws: &Workspace, opts: &PlanOptions, json: bool) -> Result<()> {
    let prepared = plan::compute(ws, opts)?;
    if let Some(plan) = &prepared.plan {
        if json {
            println!("{}", serde_json::to_string_pretty(plan)?);
        } else {
            print!("{}", plan::render_human(plan));
        }
    }
    if !prepared.problems.is_empty() {
        return Err(precheck_failed(
            "`nightly` would stop before building",
            prepared.problems,
        ));
    }
    Ok(())
}
