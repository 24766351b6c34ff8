//! Deliver: move the finished archives (and the released plugins' sdists and wheels) from
//! staging into the output folder, all or nothing; each appears under its final name only
//! when complete.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::exec::{Exec, Report};
use crate::ops::fs::{file_names, move_all_into_place, sha256_file};
use crate::plan::Step;
use crate::python::index::is_dist_of;
use crate::python::plugins::relative;
use crate::steps::journal::Output;

/// `dists_of` are `name_version` prefixes of released plugins whose sdist and wheel go out too.
pub fn deliver(exec: &Exec, files: &[String], dists_of: &[String], report: &mut Report) -> Result<()> {
    let moves = moves(exec, files, dists_of)?;
    move_all_into_place(&moves)?;
    for (file, (_, dest)) in files.iter().zip(&moves) {
        if let Some(a) = report.artifacts.iter_mut().find(|a| &a.path == file) {
            a.path = relative(&exec.ws.root, dest);
        }
    }
    Ok(())
}

/// Where each file goes: `files` first, in order, then the released plugins' sdists and wheels.
fn moves(exec: &Exec, files: &[String], dists_of: &[String]) -> Result<Vec<(PathBuf, PathBuf)>> {
    let output = exec.set_dir();
    let mut moves: Vec<_> = files.iter().map(|f| (exec.out_dir().join(f), output.join(f))).collect();
    if !dists_of.is_empty() {
        let private = exec.private_dir();
        for prefix in dists_of {
            let found: Vec<String> = file_names(&private)?
                .into_iter()
                .filter(|f| is_dist_of(f, prefix))
                .collect();
            if found.len() != 2 {
                bail!("expected the sdist and the wheel of {prefix} in staging, found {found:?}");
            }
            moves.extend(found.iter().map(|f| (private.join(f), output.join(f))));
        }
    }
    Ok(moves)
}

/// What the plan's deliver step will move, with hashes (for the release journal, once
/// everything is built).
pub fn outputs(exec: &Exec) -> Result<Vec<Output>> {
    let mut outputs = Vec::new();
    for step in &exec.plan.steps {
        if let Step::Deliver { files, dists_of } = step {
            for (staged, dest) in moves(exec, files, dists_of)? {
                let size = std::fs::metadata(&staged)
                    .with_context(|| format!("cannot read {}", staged.display()))?
                    .len();
                outputs.push(Output {
                    sha256: sha256_file(&staged)?,
                    size,
                    staged,
                    dest,
                });
            }
        }
    }
    Ok(outputs)
}
