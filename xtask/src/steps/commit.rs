//! Commit: write the bump into the working tree (all files or none) and commit exactly those
//! files. Each returns how to undo it, for a later failing step.

use anyhow::{bail, Context, Result};

use super::exec::{Exec, Report, Undo};
use crate::ops::fs::{remove_files, replace_files};
use crate::versions::edits::{apply, by_file, removes, Edit};

/// `committed` is the release commit when this write follows it (`[versioning] next-dev`).
pub fn update_tree(exec: &Exec, edits: &[Edit], committed: Option<&str>) -> Result<Undo> {
    // What was built is HEAD as planned: refuse if the repository moved meanwhile, so that the
    // release commit holds exactly what was built.
    let files: Vec<String> = by_file(edits).keys().map(|f| f.to_string()).collect();
    let head = exec.git.head()?;
    let expected = committed.unwrap_or(&exec.plan.commit);
    if head != expected {
        bail!(
            "HEAD moved from {} to {} during the build: nothing was changed; release again",
            &expected[..12],
            &head[..12]
        );
    }
    let dirty = exec.git.status(&files)?;
    if !dirty.is_empty() {
        bail!(
            "files of the release were edited during the build ({}): nothing was changed; release again",
            dirty.join(", ")
        );
    }
    let mut new = Vec::new();
    let mut old = Vec::new();
    let mut gone = Vec::new();
    for (file, edits) in by_file(edits) {
        let path = exec.ws.root.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
        let stamped = apply(&text, &edits).map_err(anyhow::Error::msg)?;
        old.push((path.clone(), text.into_bytes()));
        match removes(&edits) {
            true => gone.push(path),
            false => new.push((path, stamped.into_bytes())),
        }
    }
    replace_files(&new)?;
    if let Err(e) = remove_files(&gone) {
        let _ = replace_files(&old);
        return Err(e);
    }
    Ok(Undo::RestoreFiles(old))
}

pub fn commit(exec: &Exec, message: &str, files: &[String], report: &mut Report) -> Result<Undo> {
    let branch = exec
        .plan
        .branch
        .clone()
        .context("the plan names no branch to commit to")?;
    let previous = exec.git.head()?;
    // Dated as the build, so that a rebuild of the tag (`bundle`, dated by its commit) makes
    // the same bytes.
    let created = exec.git.commit_only(message, files, exec.plan.source_date_epoch)?;
    // The release commit is the first; a next-dev commit follows it.
    if report.commit.is_none() {
        report.commit = Some(created.clone());
    }
    report.made.push(created.clone());
    Ok(Undo::Commit {
        branch,
        previous,
        created,
        files: files.to_vec(),
    })
}
