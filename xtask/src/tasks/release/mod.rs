//! `cargo xtask release [LEVEL|VERSION]`: a dry run by default; with `--execute` the release
//! as one transaction (`execute`); with `--resume` or `--roll-back` the end of a release that
//! was interrupted, from its journal (`recover`). This file takes the one-release-at-a-time lock
//! and dispatches; the parts never import it.

mod execute;
mod recover;

pub use execute::ReleaseOptions;

use std::time::Instant;

use anyhow::Result;

use crate::error::input_error;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::ops::lock::ReleaseLock;
use crate::steps::journal;

pub fn run(ws: &Workspace, opts: &ReleaseOptions) -> Result<()> {
    let started = Instant::now();
    // One release at a time: taken before planning, so two runs cannot plan the same tags.
    let git_program = which::which("git").map_err(|_| input_error("git: not found on PATH. Install git."))?;
    let git = Git::new(&ws.runner, git_program, &ws.root);
    if opts.fetch {
        git.fetch_upstream()?;
    }
    let git_dir = git.git_dir()?;
    let _lock = if opts.execute || opts.resume || opts.roll_back {
        Some(ReleaseLock::acquire(&git_dir.join(journal::LOCK_FILE))?)
    } else {
        None
    };
    if opts.resume || opts.roll_back {
        return recover::run(ws, &git_dir, opts.roll_back, &opts.skip, opts.json, started);
    }
    execute::run(ws, opts, &git_dir, started)
}
