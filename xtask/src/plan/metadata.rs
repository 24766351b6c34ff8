//! The build backend's word where static reading is not exact. A plugin's version and
//! requirements are read without running anything; where they are computed (`version=
//! get_version()` or an f-string requirement in setup.py, `dynamic` in pyproject.toml), the
//! backend's PEP 517 `prepare_metadata_for_build_wheel` in the build-tools venv says what the
//! built wheel will carry (on a copy of the plugin folder; cached by the folder's content).
//! What it says is checked against the static reading before anything is built: another
//! version than the version files the release stamps, a requirement on a sibling plugin that
//! static reading did not see (its pin could not be written), are problems of the plan.
//! Requirements the static reading missed are taken from the backend (never a silently empty
//! list). Changes nothing of the repository; fills the work folder's cache and venv.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use pep440_rs::Version;
use serde::Deserialize;

use crate::manifest::normalize_name;
use crate::manifest::workspace::Workspace;
use crate::ops::cache::Cache;
use crate::ops::cmd::Cmd;
use crate::python::plugins::Plugin;
use crate::python::toolchain::{self, Tools};

const BACKEND_METADATA: &str = include_str!("../python/backend_metadata.py");

#[derive(Deserialize)]
struct Metadata {
    name: String,
    version: String,
    requires_dist: Vec<String>,
}

/// Ask the backend of every plugin whose metadata static reading cannot read exactly, and
/// check (or complete) what static reading found.
pub fn check_backend_metadata(
    ws: &Workspace,
    tools: Option<&Tools>,
    plugins: &mut [Plugin],
    problems: &mut Vec<String>,
) -> Result<()> {
    let (Some(tools), true) = (tools, plugins.iter().any(|p| !p.inexact.is_empty())) else {
        return Ok(());
    };
    let mut requirements = ws.manifest.python.build_tools.clone();
    for p in plugins.iter() {
        for r in &p.build_requires {
            if !requirements.contains(r) {
                requirements.push(r.clone());
            }
        }
    }
    // An index whose `${VAR}`s are not set: the plan's checks name every one of them.
    let Ok(index) = ws.index_args().pip_env(&ws.root) else {
        return Ok(());
    };
    let python = toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &requirements, &index)?;
    let names: BTreeMap<String, String> = plugins.iter().map(|p| (p.normalized.clone(), p.dir.clone())).collect();
    for plugin in plugins.iter_mut().filter(|p| !p.inexact.is_empty()) {
        match backend_metadata(ws, &python, &requirements, plugin) {
            Ok(meta) => compare(plugin, &meta, &names, problems),
            Err(e) => problems.push(format!(
                "{}: its build backend cannot give its metadata ({}), which {} computes: {e:#}",
                plugin.dir,
                plugin.inexact.join(", "),
                plugin.layout_file()
            )),
        }
    }
    Ok(())
}

/// The backend's metadata of `plugin`, from the cache or from the backend.
fn backend_metadata(ws: &Workspace, python: &Path, requirements: &[String], plugin: &Plugin) -> Result<Metadata> {
    let dir = ws.root.join(&plugin.dir);
    // Never the work or output folder (a plugin at the repository root holds them), nor git's.
    let mut skip = vec![".git".to_string(), "target".to_string(), "dist".to_string()];
    for folder in [&ws.work_dir, &ws.output_dir()] {
        if let Some(name) = folder.strip_prefix(&dir).ok().and_then(|r| r.iter().next()) {
            skip.push(name.to_string_lossy().into_owned());
        }
    }
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let inputs = serde_json::json!({
        "files": crate::ops::fs::folder_digest(&dir, &skip)?,
        "python": python,
        "requirements": requirements,
    });
    let key = Cache::key("metadata", &inputs);
    let scratch = tempfile::Builder::new()
        .prefix("metadata-")
        .tempdir_in(&ws.work_dir)
        .context("cannot create a folder in the work folder")?;
    let out = scratch.path().join("metadata.json");
    if ws.cache.fetch("metadata", &key, scratch.path())?.is_none() {
        let copy = scratch.path().join("project");
        crate::ops::fs::copy_tree(&dir, &copy, &skip)?;
        ws.runner.read(
            &Cmd::new(
                python,
                format!("read the metadata of {} from its build backend", plugin.dir),
            )
            .isolated_pip()
            .cwd(&copy)
            .args(["-I", "-c", BACKEND_METADATA])
            .arg(&out)
            .arg(&copy),
        )?;
        ws.cache.store("metadata", &key, std::slice::from_ref(&out), inputs);
    }
    let text = std::fs::read_to_string(&out).context("the backend metadata reader wrote nothing")?;
    serde_json::from_str(&text).context("the backend metadata reader wrote unexpected output")
}

/// What the backend says against what static reading found.
fn compare(plugin: &mut Plugin, meta: &Metadata, siblings: &BTreeMap<String, String>, problems: &mut Vec<String>) {
    let file = plugin.layout_file();
    if normalize_name(&meta.name) != plugin.normalized {
        problems.push(format!(
            "{}: its build backend names it {:?}, not {:?} as {file} reads",
            plugin.dir, meta.name, plugin.name
        ));
    }
    match Version::from_str(&meta.version) {
        Ok(v) if v == plugin.version => {}
        _ => {
            let files: Vec<&str> = plugin.version_files.iter().map(|f| f.path.as_str()).collect();
            problems.push(format!(
                "{}: its build backend gives version {} ({file} computes it), but the version files this tool \
                 reads and stamps give {} ({}): a release would stamp those and build {}. Make {file} take its \
                 version from {}, or name the file that holds it in the manifest (`[plugins] version-files`)",
                plugin.dir,
                meta.version,
                plugin.version,
                files.join(", "),
                meta.version,
                files.first().copied().unwrap_or("the version file")
            ));
        }
    }
    // Runtime requirements (no `extra ==` marker) the static reading did not see.
    let runtime: Vec<&String> = meta
        .requires_dist
        .iter()
        .filter(|r| !r.replace(' ', "").contains("extra=="))
        .collect();
    let declared: Vec<String> = plugin.dependencies.iter().map(|d| canonical(d)).collect();
    let unseen: Vec<&String> = runtime
        .iter()
        .copied()
        .filter(|r| !declared.contains(&canonical(r)))
        .collect();
    // Only where static reading could not read the requirements: elsewhere they are literals.
    let computed = plugin.inexact.iter().any(|f| f == "dependencies");
    for r in unseen.iter().filter(|_| computed) {
        let name = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(r)
            .map(|req| normalize_name(req.name.as_ref()))
            .unwrap_or_default();
        if siblings.contains_key(&name) {
            problems.push(format!(
                "{}: {file} computes the requirement {r:?} on the sibling plugin {name} (its build backend says \
                 so): this tool cannot rewrite its pin when {name} is released. Write it as a literal string",
                plugin.dir
            ));
        }
    }
    if computed {
        plugin.dependencies = runtime.into_iter().cloned().collect();
    }
}

/// A requirement as it compares however a backend writes it: the normalized name, sorted
/// extras and specifiers, the marker as PEP 508 prints it.
fn canonical(requirement: &str) -> String {
    let Ok(req) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(requirement) else {
        return requirement.replace(' ', "");
    };
    let mut extras: Vec<String> = req.extras.iter().map(|e| e.to_string()).collect();
    extras.sort();
    let version = match &req.version_or_url {
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
            let mut all: Vec<String> = specifiers.iter().map(|s| s.to_string()).collect();
            all.sort();
            all.join(",")
        }
        Some(pep508_rs::VersionOrUrl::Url(url)) => format!("@{url}"),
        None => String::new(),
    };
    format!(
        "{}[{}]{version};{}",
        normalize_name(req.name.as_ref()),
        extras.join(","),
        req.marker.try_to_string().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn requirements_compare_however_a_backend_writes_them() {
        for (a, b) in [
            ("acme-core>=1.0,<2", "acme_core<2,>=1.0"),
            (
                "Tabulate[b,a] >= 0.9 ; python_version >= '3.9'",
                "tabulate[a,b]>=0.9; python_version >= \"3.9\"",
            ),
        ] {
            assert_eq!(super::canonical(a), super::canonical(b), "{a} / {b}");
        }
        assert_ne!(super::canonical("acme-core>=1.0"), super::canonical("acme-core>=1.1"));
    }
}
