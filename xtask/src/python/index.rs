//! What a package index already holds: the files of some projects with their sha256, read
//! from its PEP 503 pages by a small stdlib-only Python script (`index_files.py`); whether an
//! upload repository takes the credentials (`upload_auth.py`); the URL and its credentials
//! passed in the environment, never on a command line; and the names of a release's sdists
//! and wheels.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use crate::ops::cmd::{Cmd, Runner};
use crate::python::toolchain::expand_env;

const INDEX_FILES: &str = include_str!("index_files.py");
const UPLOAD_AUTH: &str = include_str!("upload_auth.py");

/// What an index's project page says of one file (PEP 503 anchors).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IndexedFile {
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
}

/// Every file the index at `index_url` (with `${VAR}`s) links from the pages of `projects`,
/// with its sha256 when the index gives one. An index that does not answer is an error.
pub fn files_on_index(
    runner: &Runner,
    python: &Path,
    index_url: &str,
    projects: &[String],
) -> Result<BTreeMap<String, Option<String>>> {
    Ok(indexed_files(runner, python, index_url, projects)?
        .into_iter()
        .map(|(file, f)| (file, f.sha256))
        .collect())
}

/// Every file the index at `index_url` (with `${VAR}`s) links from the pages of `projects`,
/// with its sha256 and `data-requires-python` when the index gives them.
pub fn indexed_files(
    runner: &Runner,
    python: &Path,
    index_url: &str,
    projects: &[String],
) -> Result<BTreeMap<String, IndexedFile>> {
    let index = expand_env(index_url)?;
    let out = runner.read(
        &Cmd::new(python, format!("list the files the index {index_url} already has"))
            .env("XTASK_INDEX_URL", &index)
            .args(["-I", "-c", INDEX_FILES])
            .args(projects),
    )?;
    serde_json::from_slice(&out.stdout).context("the index reader printed unexpected output")
}

/// Whether the upload repository at `repository_url` (with `${VAR}`s) takes the credentials an
/// upload would use (an authenticated request that stores nothing, see `upload_auth.py`):
/// `None`, or why not. Credentials travel in the environment and are registered as secrets.
pub fn upload_refusal(runner: &Runner, python: &Path, repository_url: &str) -> Result<Option<String>> {
    let url = expand_env(repository_url)?;
    if let Some(password) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|host| host.rsplit_once('@'))
        .and_then(|(info, _)| info.split_once(':'))
        .map(|(_, password)| password.to_string())
    {
        crate::ops::cmd::register_secret(&password);
    }
    if let Ok(password) = std::env::var("TWINE_PASSWORD") {
        crate::ops::cmd::register_secret(&password);
    }
    let (ok, out) = runner.probe(
        &Cmd::new(python, format!("check the upload credentials for {repository_url}"))
            .env("XTASK_UPLOAD_URL", &url)
            .args(["-I", "-c", UPLOAD_AUTH]),
    )?;
    if ok {
        return Ok(None);
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let last = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it failed")
        .trim();
    Ok(Some(crate::ops::cmd::redact(last)))
}

/// Whether `file` is the sdist or a wheel of `prefix` (`acme_plugin_base-1.5.0`).
pub fn is_dist_of(file: &str, prefix: &str) -> bool {
    file == format!("{prefix}.tar.gz") || (file.starts_with(&format!("{prefix}-")) && file.ends_with(".whl"))
}

/// The project name of a dist prefix: `acme_plugin_base-1.5.0` → `acme-plugin-base`.
pub fn project_of(prefix: &str) -> String {
    prefix.rsplit_once('-').map_or(prefix, |(n, _)| n).replace('_', "-")
}

/// The normalized project name and version of an sdist or wheel file name.
pub fn dist_version(file: &str) -> Option<(String, pep440_rs::Version)> {
    let (name, version) = match file.strip_suffix(".whl") {
        Some(stem) => {
            let mut parts = stem.split('-');
            (parts.next()?, parts.next()?)
        }
        None => file
            .strip_suffix(".tar.gz")
            .or_else(|| file.strip_suffix(".zip"))?
            .rsplit_once('-')?,
    };
    Some((
        crate::manifest::normalize_name(name),
        crate::versions::parse(version).ok()?,
    ))
}

/// The versions of `project` (normalized) among the file names an index lists.
pub fn versions_on_index<'a>(files: impl IntoIterator<Item = &'a String>, project: &str) -> Vec<pep440_rs::Version> {
    files
        .into_iter()
        .filter_map(|f| dist_version(f).filter(|(name, _)| name == project).map(|(_, v)| v))
        .collect()
}
