//! Stamp: apply the plan's edits (versions, sibling pins) to the build copy. Each edit must
//! find its `old` text at its offset, so what changes is exactly what the plan printed.

use anyhow::{Context, Result};

use super::exec::Exec;
use crate::ops::fs::write_atomic;
use crate::versions::edits::{apply, by_file, removes, Edit};

pub fn stamp(exec: &Exec, plugin: &str, edits: &[Edit]) -> Result<()> {
    for (file, edits) in by_file(edits) {
        let path = exec.src_dir().join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the build copy of {file}"))?;
        let stamped = apply(&text, &edits).map_err(anyhow::Error::msg)?;
        if exec.ws.runner.is_dry_run() {
            continue;
        }
        if removes(&edits) {
            std::fs::remove_file(&path).with_context(|| format!("stamp {plugin}: remove {file}"))?;
            continue;
        }
        write_atomic(&path, stamped.as_bytes()).with_context(|| format!("stamp {plugin}"))?;
    }
    Ok(())
}
