//! Deliver: move the finished archives (and the released plugins' sdists and wheels) from
//! staging into the output folder, all or nothing; each appears under its final name only
//! when complete.

use anyhow::{bail, Result};

use super::{Exec, Report};
use crate::ops::fs::{file_names, move_all_into_place};
use crate::plugins::relative;

/// `dists_of` are `name_version` prefixes of released plugins whose sdist and wheel go out too.
pub fn deliver(exec: &Exec, files: &[String], dists_of: &[String], report: &mut Report) -> Result<()> {
    let output = exec.ws.output_dir().join(&exec.plan.set);
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
    move_all_into_place(&moves)?;
    for (file, (_, dest)) in files.iter().zip(&moves) {
        if let Some(a) = report.artifacts.iter_mut().find(|a| &a.path == file) {
            a.path = relative(&exec.ws.root, dest);
        }
    }
    Ok(())
}

/// Whether `file` is the sdist or a wheel of `prefix` (`acme_plugin_base-1.5.0`).
pub fn is_dist_of(file: &str, prefix: &str) -> bool {
    file == format!("{prefix}.tar.gz") || (file.starts_with(&format!("{prefix}-")) && file.ends_with(".whl"))
}
