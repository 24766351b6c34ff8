//! What a package index already holds: the files of some projects with their sha256, read
//! from its PEP 503 pages by a small stdlib-only Python script (`index_files.py`), the URL and
//! its credentials passed in the environment, never on a command line; and the names of a
//! release's sdists and wheels.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use crate::ops::cmd::{Cmd, Runner};
use crate::python::toolchain::expand_env;

const INDEX_FILES: &str = include_str!("index_files.py");

/// Every file the index at `index_url` (with `${VAR}`s) links from the pages of `projects`,
/// with its sha256 when the index gives one. An index that does not answer is an error.
pub fn files_on_index(
    runner: &Runner,
    python: &Path,
    index_url: &str,
    projects: &[String],
) -> Result<BTreeMap<String, Option<String>>> {
    let index = expand_env(index_url)?;
    let out = runner.read(
        &Cmd::new(python, format!("list the files the index {index_url} already has"))
            .env("XTASK_INDEX_URL", &index)
            .args(["-I", "-c", INDEX_FILES])
            .args(projects),
    )?;
    serde_json::from_slice(&out.stdout).context("the index reader printed unexpected output")
}

/// Whether `file` is the sdist or a wheel of `prefix` (`acme_plugin_base-1.5.0`).
pub fn is_dist_of(file: &str, prefix: &str) -> bool {
    file == format!("{prefix}.tar.gz") || (file.starts_with(&format!("{prefix}-")) && file.ends_with(".whl"))
}

/// The project name of a dist prefix: `acme_plugin_base-1.5.0` → `acme-plugin-base`.
pub fn project_of(prefix: &str) -> String {
    prefix.rsplit_once('-').map_or(prefix, |(n, _)| n).replace('_', "-")
}
