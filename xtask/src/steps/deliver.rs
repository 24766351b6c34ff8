//! Deliver: move the finished archives from staging into the output folder. Each appears
//! under its final name only when complete.

use anyhow::Result;

use super::{Exec, Report};
use crate::ops::fs::move_into_place;
use crate::plugins::relative;

pub fn deliver(exec: &Exec, files: &[String], report: &mut Report) -> Result<()> {
    let output = exec.ws.output_dir();
    for file in files {
        let dest = output.join(file);
        move_into_place(&exec.out_dir().join(file), &dest)?;
        if let Some(a) = report.artifacts.iter_mut().find(|a| &a.path == file) {
            a.path = relative(&exec.ws.root, &dest);
        }
    }
    Ok(())
}
