//! `cargo xtask ci [--check]`: the GitHub Actions workflows (and with `[ci] providers`
//! naming "gitlab", the GitLab CI pipeline of `gitlab.rs`) that spread the nightly and the
//! release bundles over one machine per platform, generated from the manifest. A plan job
//! checks everything (the nightly's also fixes the time of the run); one job per platform, on
//! a runner of that platform, builds its bundle natively (`nightly --platform P`, or `bundle
//! --platform P` for the release tag); one merge job joins them with `merge`, verifies them,
//! keeps them as the run's artifact, and for a release publishes them with `publish`.
//! `--check` fails when a committed file differs.

//! This file is the front (`run`: write or check); `github.rs` and `gitlab.rs` generate the
//! files, `args.rs` holds what both pass to the xtask.

mod args;
mod github;
mod gitlab;

use anyhow::Result;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::fs::write_atomic;

pub fn run(ws: &Workspace, check: bool) -> Result<()> {
    let mut wanted = Vec::new();
    if ws.manifest.ci.github {
        wanted.extend(github::workflows(ws)?);
    }
    if ws.manifest.ci.gitlab {
        wanted.push((gitlab::PIPELINE, gitlab::pipeline(ws)?));
    }
    if wanted.is_empty() {
        return Err(crate::error::input_error(format!(
            "[ci] providers is empty in {}: name \"github\" and/or \"gitlab\"",
            ws.manifest_shown()
        )));
    }
    if check {
        let mut problems = Vec::new();
        for (file, text) in &wanted {
            match std::fs::read_to_string(ws.root.join(file)) {
                Ok(committed) if committed == *text => {}
                Ok(_) => problems.push(format!("{file} differs from what {} generates", ws.manifest_shown())),
                Err(_) => problems.push(format!("{file} is missing")),
            }
        }
        if !problems.is_empty() {
            problems.push("run `cargo xtask ci` and commit the result; edit the manifest, not the workflow".into());
            return Err(precheck_failed("the CI workflows are out of date", problems));
        }
        let files: Vec<&str> = wanted.iter().map(|(f, _)| *f).collect();
        crate::ops::ui::summary!("{} up to date", files.join(", "));
        return Ok(());
    }
    for (file, text) in &wanted {
        let path = ws.root.join(file);
        if let Some(dir) = path.parent() {
            crate::ops::fs::create_dir(dir)?;
        }
        write_atomic(&path, text.as_bytes())?;
        crate::ops::ui::summary!("wrote {file}");
    }
    Ok(())
}
