//! Deliver: move the finished archives from staging into the output folder, all or nothing;
//! each appears under its final name only when complete.

use anyhow::Result;

use super::{Exec, Report};
use crate::ops::fs::move_all_into_place;
use crate::plugins::relative;

pub fn deliver(exec: &Exec, files: &[String], report: &mut Report) -> Result<()> {
    let output = exec.ws.output_dir();
    let moves: Vec<_> = files.iter().map(|f| (exec.out_dir().join(f), output.join(f))).collect();
    move_all_into_place(&moves)?;
    for (file, (_, dest)) in files.iter().zip(&moves) {
        if let Some(a) = report.artifacts.iter_mut().find(|a| &a.path == file) {
            a.path = relative(&exec.ws.root, dest);
        }
    }
    Ok(())
}
