//! The build backend's word where static reading is not exact. A plugin's version and
//! requirements are read without running anything; where they are computed (`version=
//! get_version()` or an f-string requirement in setup.py, `dynamic` in pyproject.toml), the
//! backend's PEP 517 `prepare_metadata_for_build_wheel` in the build-tools venv says what the
//! built wheel will carry (on a copy of the plugin folder; cached by the folder's content).
//! What it says is checked against the static reading before anything is built: another
//! version than the version files the release stamps is a problem of the plan. Requirements
//! the static reading missed are taken from the backend (never a silently empty list). A
//! computed requirement on a sibling plugin cannot be rewritten: the backend is asked again
//! for the build copy (the stamp edits applied), and the pin must accept the sibling's version
//! in this run. Changes nothing of the repository; fills the work folder's cache and venv.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use pep440_rs::Version;
use serde::Deserialize;

use super::types::Step;
use crate::manifest::normalize_name;
use crate::manifest::workspace::Workspace;
use crate::ops::cache::Cache;
use crate::ops::cmd::Cmd;
use crate::python::plugins::{folder_prefix, Plugin};
use crate::python::toolchain::{self, Tools};
use crate::versions::edits::Edit;

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
    if !plugins.iter().any(|p| !p.inexact.is_empty()) {
        return Ok(());
    }
    let Some((python, requirements)) = backend_venv(ws, tools, plugins)? else {
        return Ok(());
    };
    for plugin in plugins.iter_mut().filter(|p| !p.inexact.is_empty()) {
        match backend_metadata(ws, &python, &requirements, plugin, &[]) {
            Ok(meta) => compare(plugin, &meta, problems),
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

/// Requirements on sibling plugins that a plugin computes (static reading could not see them)
/// are never rewritten: as the build copy gives them (the plugin's stamp edits applied, so a
/// pin computed from the stamped version is seen as built), each must accept the version of
/// the sibling this run builds.
pub fn check_computed_pins(
    ws: &Workspace,
    tools: Option<&Tools>,
    plugins: &[Plugin],
    steps: &[Step],
    new_versions: &BTreeMap<String, Version>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    let computing: Vec<&Plugin> = plugins
        .iter()
        .filter(|p| p.inexact.iter().any(|f| f == "dependencies"))
        .filter(|p| !crate::versions::edits::sibling_requirements(p, &names).is_empty())
        .collect();
    if computing.is_empty() {
        return Ok(());
    }
    let Some((python, requirements)) = backend_venv(ws, tools, plugins)? else {
        return Ok(());
    };
    for plugin in computing {
        let edits: &[Edit] = steps
            .iter()
            .find_map(|s| match s {
                Step::Stamp { plugin: name, edits } if *name == plugin.normalized => Some(edits.as_slice()),
                _ => None,
            })
            .unwrap_or_default();
        let meta = match backend_metadata(ws, &python, &requirements, plugin, edits) {
            Ok(meta) => meta,
            Err(e) => {
                problems.push(format!(
                    "{}: its build backend cannot give the metadata of its build copy: {e:#}",
                    plugin.dir
                ));
                continue;
            }
        };
        for r in meta
            .requires_dist
            .iter()
            .filter(|r| !r.replace(' ', "").contains("extra=="))
        {
            let Ok(req) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(r) else {
                continue;
            };
            let sibling = normalize_name(req.name.as_ref());
            let (Some(version), Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec))) =
                (new_versions.get(&sibling), &req.version_or_url)
            else {
                continue;
            };
            if sibling != plugin.normalized && !crate::versions::satisfies(spec, version) {
                problems.push(format!(
                    "{}: {} computes the requirement {r:?} on the sibling plugin {sibling} (so its build copy \
                     says, asked of its build backend), which excludes {version}, the version of {sibling} this \
                     run builds: this tool rewrites only pins written as literal strings. Write it as one, or \
                     release the plugins together so that it accepts {version}",
                    plugin.dir,
                    plugin.layout_file()
                ));
            }
        }
    }
    Ok(())
}

/// The build-tools venv with every plugin's build requirements, and those requirements;
/// None without Python or with an index whose `${VAR}`s are not set (the plan's checks name
/// every one of them).
fn backend_venv(ws: &Workspace, tools: Option<&Tools>, plugins: &[Plugin]) -> Result<Option<(PathBuf, Vec<String>)>> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let mut requirements = ws.manifest.python.build_tools.clone();
    for p in plugins.iter() {
        for r in &p.build_requires {
            if !requirements.contains(r) {
                requirements.push(r.clone());
            }
        }
    }
    let Ok(index) = ws.index_args().pip_env(&ws.root) else {
        return Ok(None);
    };
    let python = toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &requirements, &index)?;
    Ok(Some((python, requirements)))
}

/// The backend's metadata of `plugin` (with `edits`, relative to the repository root,
/// applied to its copy), from the cache or from the backend.
fn backend_metadata(
    ws: &Workspace,
    python: &Path,
    requirements: &[String],
    plugin: &Plugin,
    edits: &[Edit],
) -> Result<Metadata> {
    let dir = ws.root.join(&plugin.dir);
    let skip = ws.copy_skips(&dir);
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let inputs = serde_json::json!({
        "files": crate::ops::fs::folder_digest(&dir, &skip)?,
        "python": python,
        "requirements": requirements,
        "edits": edits,
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
        apply_edits(&copy, &plugin.dir, edits)?;
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

/// Apply `edits` (files relative to the repository root, in the plugin folder `dir`) to the
/// plugin's copy `copy`.
fn apply_edits(copy: &Path, dir: &str, edits: &[Edit]) -> Result<()> {
    for (file, mine) in crate::versions::edits::by_file(edits) {
        let rel = file.strip_prefix(&folder_prefix(dir)).unwrap_or(file);
        let path = copy.join(rel);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let edited = crate::versions::edits::apply(&text, &mine).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        if crate::versions::edits::removes(&mine) {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            continue;
        }
        std::fs::write(&path, edited).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// What the backend says against what static reading found.
fn compare(plugin: &mut Plugin, meta: &Metadata, problems: &mut Vec<String>) {
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
    // Runtime requirements (no `extra ==` marker).
    let runtime: Vec<&String> = meta
        .requires_dist
        .iter()
        .filter(|r| !r.replace(' ', "").contains("extra=="))
        .collect();
    // Only where static reading could not read the requirements: elsewhere they are literals.
    // Computed pins on siblings are checked on the build copy (`check_computed_pins`).
    let computed = plugin.inexact.iter().any(|f| f == "dependencies");
    if computed {
        plugin.dependencies = runtime.into_iter().cloned().collect();
    }
}
