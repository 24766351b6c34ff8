//! Stamp: apply the plan's edits (versions, sibling pins) to the build copy. Each edit must
//! find its `old` text at its offset, so what changes is exactly what the plan printed.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};

use super::Exec;
use crate::ops::fs::write_atomic;
use crate::plan::Edit;

pub fn stamp(exec: &Exec, plugin: &str, edits: &[Edit]) -> Result<()> {
    let mut by_file: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for e in edits {
        by_file.entry(e.file.as_str()).or_default().push(e);
    }
    for (file, mut edits) in by_file {
        let path = exec.src_dir().join(file);
        let mut text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read the build copy of {file}"))?;
        edits.sort_by_key(|e| std::cmp::Reverse(e.offset));
        for e in edits {
            if text.get(e.offset..e.offset + e.old.len()) != Some(e.old.as_str()) {
                bail!(
                    "{file}:{}: expected {:?} there (the file changed since the plan was made); make the plan again",
                    e.line,
                    e.old
                );
            }
            text.replace_range(e.offset..e.offset + e.old.len(), &e.new);
        }
        if exec.ws.runner.is_dry_run() {
            continue;
        }
        write_atomic(&path, text.as_bytes()).with_context(|| format!("stamp {plugin}"))?;
    }
    Ok(())
}
