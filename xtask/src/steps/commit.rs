//! Commit: write the bump into the working tree (all files or none) and commit exactly those
//! files. Each returns how to undo it, for a later failing step.

use anyhow::{Context, Result};

use super::{Exec, Report, Undo};
use crate::edits::{apply, by_file, Edit};
use crate::ops::fs::replace_files;

pub fn update_tree(exec: &Exec, edits: &[Edit]) -> Result<Undo> {
    let mut new = Vec::new();
    let mut old = Vec::new();
    for (file, edits) in by_file(edits) {
        let path = exec.ws.root.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
        let stamped = apply(&text, &edits).map_err(anyhow::Error::msg)?;
        old.push((path.clone(), text.into_bytes()));
        new.push((path, stamped.into_bytes()));
    }
    replace_files(&new)?;
    Ok(Undo::RestoreFiles(old))
}

pub fn commit(exec: &Exec, message: &str, files: &[String], report: &mut Report) -> Result<Undo> {
    let branch = exec
        .plan
        .branch
        .clone()
        .context("the plan names no branch to commit to")?;
    let previous = exec.git.head()?;
    let created = exec.git.commit_only(message, files)?;
    report.commit = Some(created.clone());
    Ok(Undo::Commit {
        branch,
        previous,
        created,
        files: files.to_vec(),
    })
}
